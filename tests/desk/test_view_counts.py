"""The views' counts with their SQL compiled once per shape (desk.view_counts) are the ORM's
aggregate counts: for agents of different teams sharing a shape, a manager, saved views of
every filter, and instants a week apart (the recently solved view moves with now)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from desk import ticket_lists, view_counts
from tests.factories import ManagerFactory, SavedViewFactory, TeamFactory, UserFactory
from tickets import services as ticket_services
from tickets.status import Status

pytestmark = pytest.mark.django_db

FILTERS = [
    {"status": ["new", "open"]},
    {"priority": ["high", "urgent"], "channel": ["email"]},
    {"assignee": "me"},
    {"assignee": "none", "view": "unassigned"},
    {"tag": "vip", "sla_state": "ok"},
    {"sla_state": "breached", "view": "solved"},
]


def _orm_counts(user, saved, now) -> dict:
    conditions = {v.slug: v.condition(user, now) for v in ticket_lists.BUILTIN_VIEWS}
    for view in saved:
        conditions[f"saved-{view.pk}"] = ticket_lists.filters_q(user, view.filters, now)
    return ticket_lists.ticket_selectors.tickets_visible_to(user).aggregate(
        **{k.replace("-", "_"): Count("pk", filter=q) for k, q in conditions.items()}
    )


def _counts(links) -> dict:
    return {link.key.replace("-", "_"): link.count for link in links}


def test_kept_counts_are_the_orms(agent, team, make_ticket, tier):
    other_team = TeamFactory(name="Other")
    olga = UserFactory(username="olga2", teams=[other_team])
    manager = ManagerFactory(username="mona2")
    for n in range(6):
        ticket = make_ticket(f"t{n}", priority=1 + n % 4, tags=["vip"] if n % 2 else [])
        if n % 3 == 0:
            ticket_services.ticket_update(ticket=ticket, actor=agent, assignee=agent)
    make_ticket("theirs", team_=other_team)
    solved = make_ticket("solved")
    ticket_services.ticket_update(ticket=solved, actor=agent, status=Status.SOLVED)
    closed = make_ticket("closed")
    ticket_services.ticket_update(ticket=closed, actor=agent, status=Status.SOLVED)
    ticket_services.ticket_update(ticket=closed, actor=agent, status=Status.CLOSED)
    saved = [SavedViewFactory(owner=agent, name=f"v{n}", filters=f) for n, f in enumerate(FILTERS)]
    # saved views that each name statuses or a base view: the counts' read stays bounded
    bounded = [v for v in saved if "status" in v.filters or "view" in v.filters]
    assert ticket_lists._counted_bound(bounded, timezone.now()) is not None
    assert ticket_lists._counted_bound(saved, timezone.now()) is None
    now = timezone.now()
    view_counts._KEPT.clear()
    for user, views in [(agent, saved), (agent, bounded), (olga, []), (agent, []), (manager, [])]:
        for at in (now, now + timedelta(days=8)):  # a week on, "recently solved" is empty
            ours = _counts(ticket_lists.view_links(user, views, at))
            assert ours == _orm_counts(user, views, at), (user, at)
    assert _counts(ticket_lists.view_links(agent, [], now))["solved"] == 1
    assert _counts(ticket_lists.view_links(agent, [], now + timedelta(days=8)))["solved"] == 0
    assert _counts(ticket_lists.view_links(olga, [], now))["open"] == 1
    kept = [statement for statement in view_counts._KEPT.values() if statement is not None]
    # four shapes (alice's saved views, some of them; an agent without any, olga's as
    # alice's; a manager), each compiled once and kept
    assert len(kept) == len(view_counts._KEPT) == 4


def test_the_counts_read_only_what_a_view_can_count(agent, make_ticket):
    """The bound on the counts' read: unresolved and recently solved tickets, and the
    statuses a saved view names; closed and long-solved tickets are not read."""
    make_ticket("live")
    solved, closed = make_ticket("solved"), make_ticket("closed")
    for ticket in (solved, closed):
        ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED)
    ticket_services.ticket_update(ticket=closed, actor=agent, status=Status.CLOSED)
    now = timezone.now()

    def read(views, at, **kwargs):
        bound = ticket_lists._counted_bound(views, at, **kwargs)
        return set(ticket_lists.Ticket.objects.filter(bound).values_list("subject", flat=True))

    assert read([], now) == {"live", "solved"}
    # with the live views tallied by the triggers, only what is left to count is read
    assert read([], now, tallied=True) == {"solved"}
    assert read([], now + timedelta(days=8)) == {"live"}
    closed_view = SavedViewFactory(owner=agent, name="closed", filters={"status": ["closed"]})
    assert read([closed_view], now + timedelta(days=8)) == {"live", "closed"}


def test_no_statement_is_logged_that_was_not_sent(agent, make_ticket):
    make_ticket("one")
    view_counts._KEPT.clear()
    with CaptureQueriesContext(connection) as queries:
        links = ticket_lists.view_links(agent, [], timezone.now())
    # the ORM's aggregate (and on PostgreSQL the tallies' sums), nothing kept meanwhile
    assert len(queries.captured_queries) == (2 if connection.vendor == "postgresql" else 1)
    assert not view_counts._KEPT
    assert _counts(links)["open"] == 1


def test_a_shape_with_another_value_is_compiled_every_time(agent, make_ticket):
    make_ticket("one")
    fixed = timezone.now() - timedelta(days=1)

    def build(user, now):
        return ticket_lists.ticket_selectors.tickets_visible_to(user), {
            "since_fixed": Count("pk", filter=Q(created_at__gte=fixed)),
        }

    assert view_counts.counts("fixed", build, agent, timezone.now()) == {"since_fixed": 1}
    assert view_counts._KEPT["fixed"] is None


def test_a_condition_that_reads_the_agents_rows_in_python_is_never_kept(agent, team, make_ticket):
    """Both stand-ins are in no team, so a list of team ids read in Python is the same empty
    list for both; the real agent's statement differs, and the shape is not kept."""
    make_ticket("one")

    def build(user, now):
        team_ids = list(user.teams.values_list("pk", flat=True))
        return ticket_lists.ticket_selectors.tickets_visible_to(user), {
            "in_my_teams": Count("pk", filter=Q(team_id__in=team_ids)),
        }

    assert view_counts.counts("python-read", build, agent, timezone.now()) == {"in_my_teams": 1}
    assert view_counts._KEPT["python-read"] is None
