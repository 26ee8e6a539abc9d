"""The live views' counts tallied by PostgreSQL's triggers (desk.queue_counts) are the ORM's
counts of the tickets, however the tickets are written: services, a bulk UPDATE, tickets
left without a team, a delete; and folding the tallies changes no count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from desk import queue_counts, ticket_lists
from desk.models import QueueCount
from tests.desk.test_view_counts import _counts, _orm_counts
from tests.factories import ManagerFactory, TeamFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.status import Status

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the tallies are kept by PostgreSQL triggers"
    ),
]

TALLIED = [v.slug for v in ticket_lists.BUILTIN_VIEWS if v.in_bucket is not None]


def _assert_tallies_are_the_orms(*users):
    now = timezone.now()
    for user in users:
        assert queue_counts.tallied_for(user)
        ours = _counts(ticket_lists.view_links(user, [], now))
        assert ours == _orm_counts(user, [], now), user


def test_tallies_follow_every_kind_of_write(agent, team, make_ticket):
    other_team = TeamFactory(name="Other")
    olga = UserFactory(username="olga3", teams=[other_team])
    both = UserFactory(username="bo3", teams=[team, other_team])
    manager = ManagerFactory(username="mona3")
    users = (agent, olga, both, manager)
    tickets = [make_ticket(f"t{n}", team_=team if n % 2 else other_team) for n in range(8)]
    _assert_tallies_are_the_orms(*users)
    assert _counts(ticket_lists.view_links(agent, [], timezone.now()))["open"] == 4

    # through the services: assigned, across teams, every live status, solved, closed
    ticket_services.ticket_update(ticket=tickets[1], actor=agent, assignee=agent)
    ticket_services.ticket_update(ticket=tickets[0], actor=agent, assignee=olga)
    ticket_services.ticket_update(ticket=tickets[2], actor=agent, status=Status.PENDING)
    ticket_services.ticket_update(ticket=tickets[3], actor=agent, status=Status.ON_HOLD)
    ticket_services.ticket_update(ticket=tickets[4], actor=agent, status=Status.SOLVED)
    ticket_services.ticket_update(ticket=tickets[5], actor=agent, status=Status.SOLVED)
    ticket_services.ticket_update(ticket=tickets[5], actor=agent, status=Status.CLOSED)
    _assert_tallies_are_the_orms(*users)

    # outside the services: a bulk UPDATE moving tickets between teams and statuses
    Ticket.objects.filter(pk__in=[tickets[6].pk, tickets[7].pk]).update(
        team=team, status=Status.OPEN
    )
    Ticket.objects.filter(pk=tickets[4].pk).update(status=Status.OPEN)  # reopened
    _assert_tallies_are_the_orms(*users)

    # a deleted ticket, and tickets of no team
    Ticket.objects.filter(pk=tickets[2].pk).delete()
    Ticket.objects.filter(team=other_team).update(team=None)
    _assert_tallies_are_the_orms(*users)
    assert _counts(ticket_lists.view_links(olga, [], timezone.now()))["open"] == 0


def test_a_write_that_moves_no_ticket_between_buckets_adds_no_row(agent, make_ticket):
    ticket = make_ticket("quiet")
    rows = QueueCount.objects.count()
    ticket_services.ticket_update(ticket=ticket, actor=agent, priority=4)
    Ticket.objects.filter(pk=ticket.pk).update(subject="still quiet")
    assert QueueCount.objects.count() == rows


def test_folding_keeps_every_count_and_leaves_a_row_per_bucket(agent, team, make_ticket):
    tickets = [make_ticket(f"t{n}") for n in range(5)]
    for ticket in tickets[:3]:
        ticket_services.ticket_update(ticket=ticket, actor=agent, assignee=agent)
    ticket_services.ticket_update(ticket=tickets[3], actor=agent, status=Status.SOLVED)
    before = _counts(ticket_lists.view_links(agent, [], timezone.now()))
    rows = QueueCount.objects.count()
    assert queue_counts.compact() == rows
    # what is left: (team, nobody, new) x1 and (team, agent, new) x3; the solved one's +1 and
    # -1 cancel out
    left = set(QueueCount.objects.values_list("assignee_id", "status", "n"))
    assert left == {(agent.pk, "new", 3), (None, "new", 1)}
    assert _counts(ticket_lists.view_links(agent, [], timezone.now())) == before
    assert (before["mine"], before["unassigned"], before["open"]) == (3, 1, 4)
    make_ticket("after")
    assert queue_counts.compact() == 3
    _assert_tallies_are_the_orms(agent)


def test_the_counts_come_from_the_tallies(agent, make_ticket):
    for n in range(3):
        make_ticket(f"t{n}")
    assert _counts(ticket_lists.view_links(agent, [], timezone.now()))["open"] == 3
    # drop the tallies: the views say what they say, so that is what the views read
    QueueCount.objects.all().delete()
    links = _counts(ticket_lists.view_links(agent, [], timezone.now()))
    assert {links[slug] for slug in TALLIED} == {0}
    assert Ticket.objects.count() == 3
