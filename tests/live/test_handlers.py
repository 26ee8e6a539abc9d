"""What the desk's sockets are told, after commit: a message to its ticket's group, a change
that moves a queue to the team queues (once per transaction and group, however many tickets),
nothing at all when the transaction rolls back."""

from __future__ import annotations

import pytest
from django.db import transaction

from live import groups
from live import publish as live_publish
from tests.factories import TeamFactory, UserFactory
from tickets import services
from tickets.models import Priority

pytestmark = pytest.mark.django_db


def test_public_reply_and_internal_note_reach_the_ticket_group_after_commit(
    make_ticket, agent, listener, django_capture_on_commit_callbacks
):
    ticket = make_ticket("Where is my parcel?")
    listener.join(groups.ticket(ticket.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = services.ticket_reply(ticket=ticket, author=agent, body="On its way.")
        note = services.ticket_reply(ticket=ticket, author=agent, body="Check DHL", public=False)
    assert listener.events(wait=0.2) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert listener.events() == [
        {"type": "message", "ticket": ticket.pk, "message": reply.pk},
        {"type": "message", "ticket": ticket.pk, "message": note.pk},
    ]


def test_customer_message_reaches_the_ticket_group(
    make_ticket, customer, listener, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    listener.join(groups.ticket(ticket.pk))
    with django_capture_on_commit_callbacks(execute=True):
        message = services.customer_message_add(ticket=ticket, customer=customer, body="Hello?")
    assert {"type": "message", "ticket": ticket.pk, "message": message.pk} in listener.events()


def test_queue_moves_reach_the_team_queue_and_the_team_left(
    make_ticket, agent, team, listener, django_capture_on_commit_callbacks
):
    billing = TeamFactory(name="Billing")
    ticket = make_ticket()
    listener.join(groups.team_queue(team.pk))
    listener.join(groups.team_queue(billing.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, actor=agent, priority=Priority.HIGH)
    assert listener.events() == [{"type": "queue", "ticket": ticket.pk}]  # its team's only
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, actor=agent, subject="Renamed")
    assert listener.events() == []  # the subject does not move a queue
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, actor=agent, team=billing)
    assert listener.events() == [{"type": "queue", "ticket": ticket.pk}] * 2  # left and joined


def test_a_created_ticket_reaches_its_team_queue(
    make_ticket, team, listener, django_capture_on_commit_callbacks
):
    listener.join(groups.team_queue(team.pk))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    assert listener.events() == [{"type": "queue", "ticket": ticket.pk}]


def test_a_batch_is_one_send_per_group_not_one_per_ticket(
    make_ticket, agent, team, listener, django_capture_on_commit_callbacks, monkeypatch
):
    tickets = [make_ticket(f"Ticket {n}") for n in range(30)]
    listener.join(groups.team_queue(team.pk))
    sent: list[int] = []
    real = live_publish.publish_many

    def counting(items):
        sent.append(len(items))
        return real(items)

    monkeypatch.setattr("live.handlers.publish_many", counting)
    with django_capture_on_commit_callbacks(execute=True):
        changed = services.tickets_status_set(tickets=tickets, status="pending", actor=agent)
    assert len(changed) == 30
    assert sent == [1]  # one trip, one event for the team's queue
    assert listener.events() == [{"type": "queue", "tickets": [t.pk for t in tickets]}]


def test_a_rollback_tells_nothing(make_ticket, agent, team, listener):
    ticket = make_ticket()
    listener.join(groups.team_queue(team.pk))
    listener.join(groups.ticket(ticket.pk))

    class Undo(Exception):
        pass

    def reply_then_fail() -> None:
        with transaction.atomic():
            services.ticket_reply(ticket=ticket, author=agent, body="Never sent")
            raise Undo

    with pytest.raises(Undo):
        reply_then_fail()
    # The test's own transaction never commits: run what it would send on commit.
    from django.db import connection

    for _sids, func, _robust in connection.run_on_commit:
        if func.__module__ == "live.handlers":
            func()
    assert listener.events() == [{"type": "queue", "ticket": ticket.pk}]  # its creation only


def test_an_agent_of_any_role_sees_queue_team_ids(team):
    from live.selectors import queue_team_ids

    other = TeamFactory()
    agent = UserFactory(teams=[team, other])
    assert queue_team_ids(agent) == sorted([team.pk, other.pk])
