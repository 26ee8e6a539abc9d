"""Ticket services announce what happened, in the transaction, for other apps to act on."""

from __future__ import annotations

import pytest

from core import events
from tests.factories import CustomerFactory, TicketFactory
from tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded():
    seen: list[events.DomainEvent] = []
    events.subscribe("*", seen.append)
    yield seen
    events.unsubscribe("*", seen.append)


def test_create_publishes_ticket_created_with_first_message(recorded, agent):
    customer = CustomerFactory()
    ticket = services.ticket_create(requester=customer, subject="Hi", body="Hello")
    assert [e.type for e in recorded] == [events.TICKET_OPENING, events.TICKET_CREATED]
    opening, created = recorded
    assert opening.ticket is ticket
    assert opening.customer == customer
    assert created.ticket == ticket
    assert created.message.body_text == "Hello"
    assert created.customer == customer


def test_reply_with_status_publishes_message_then_status_change(recorded, agent, team):
    ticket = TicketFactory(team=team, status="open")
    services.ticket_reply(ticket=ticket, author=agent, body="Photo?", status="pending")
    assert [e.type for e in recorded] == [events.MESSAGE_CREATED, events.TICKET_UPDATED]
    assert recorded[1].changes == {"status": ("open", "pending")}
    assert recorded[1].actor == agent


def test_customer_message_on_solved_ticket_reports_reopen(recorded, team):
    ticket = TicketFactory(team=team, status="solved")
    services.customer_message_add(ticket=ticket, body="Still broken")
    assert [e.type for e in recorded] == [events.MESSAGE_CREATED, events.TICKET_UPDATED]
    assert recorded[1].changes == {"status": ("solved", "open")}
    assert recorded[1].data == {"reopened": True}


def test_update_publishes_one_event_with_every_change(recorded, agent, team):
    ticket = TicketFactory(team=team)
    services.ticket_update(ticket=ticket, actor=agent, status="open", priority=3)
    assert len(recorded) == 1
    assert recorded[0].changes == {"status": ("new", "open"), "priority": ("normal", "high")}


def test_update_that_changes_nothing_publishes_nothing(recorded, agent, team):
    ticket = TicketFactory(team=team, status="open")
    services.ticket_update(ticket=ticket, actor=agent, status="open")
    assert recorded == []


def test_a_failing_subscriber_rolls_back_the_change(team):
    def refuse(event):
        raise RuntimeError("subscriber failed")

    events.subscribe(events.TICKET_CREATED, refuse)
    try:
        with pytest.raises(RuntimeError):
            services.ticket_create(requester=CustomerFactory(), subject="Hi", body="x")
    finally:
        events.unsubscribe(events.TICKET_CREATED, refuse)
    from tickets.models import Ticket

    assert not Ticket.objects.exists()


def test_system_message_is_public_outbound_and_nobodys_reply(recorded, team):
    ticket = TicketFactory(team=team)
    message = services.system_message_add(
        ticket=ticket, body="We answer email only.", reason="outside_plan"
    )
    ticket.refresh_from_db()
    assert (message.direction, message.is_public, message.author_user) == ("outbound", True, None)
    assert ticket.first_replied_at is None
    assert ticket.status == "new"
    assert [e.type for e in recorded] == [events.MESSAGE_CREATED]
    assert recorded[0].data == {"system": True, "reason": "outside_plan"}


def test_a_claiming_public_reply_assigns_an_unassigned_ticket_in_one_update(recorded, agent, team):
    """ticket_reply(claim=True): the assignment is audited and announced with the reply."""
    ticket = TicketFactory(team=team, status="new")
    services.ticket_reply(ticket=ticket, author=agent, body="On it", claim=True)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert recorded[-1].changes["assignee"] == (None, agent.pk)
    assert ticket.events.filter(kind="assigned", actor_user=agent).count() == 1


def test_a_claiming_reply_from_outside_the_team_does_not_assign(agent, team, other_agent):
    ticket = TicketFactory(team=team, status="open")
    services.ticket_reply(ticket=ticket, author=other_agent, body="x", claim=True)
    ticket.refresh_from_db()
    assert ticket.assignee is None
