"""The shared "find the open thread or open a ticket" rule (tickets/channels/threads.py): a
new ticket's thread exists before ticket.created subscribers run, so an automatic answer (the
outside-plan reply) can already find its conversation."""

from __future__ import annotations

import pytest

from core import events
from tests.factories import CustomerFactory, OrganizationFactory, PolicyFactory, TierFactory
from tickets.channels.models import ChannelThread, InboundMessage

from .mails import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads_seen_at_creation():
    """What a ticket.created subscriber finds: the thread keys of the new ticket."""
    seen: list[list[str]] = []

    def handler(event: events.DomainEvent) -> None:
        seen.append(
            list(ChannelThread.objects.filter(ticket=event.ticket).values_list("key", flat=True))
        )

    events.subscribe(events.TICKET_CREATED, handler)
    yield seen
    events.unsubscribe(events.TICKET_CREATED, handler)


@pytest.fixture
def email_only_customer(db):
    tier = TierFactory(name="Self-service", policy=PolicyFactory(), channels=["email"])
    return CustomerFactory(organization=OrganizationFactory(tier=tier), email="kim@example.com")


def post_chat(client, capture, **payload) -> InboundMessage:
    with capture(execute=True):
        response = client.post("/api/v1/inbound/chat/", payload, format="json")
    assert response.status_code == 202, response.content
    return InboundMessage.objects.get(pk=response.json()["id"])


def test_a_chat_ticket_s_conversation_exists_when_ticket_created_subscribers_run(
    integration_client,
    chat_channel,
    email_only_customer,
    threads_seen_at_creation,
    django_capture_on_commit_callbacks,
):
    row = post_chat(
        integration_client,
        django_capture_on_commit_callbacks,
        conversation_id="conv-1",
        message_id="m1",
        text="Where is my parcel?",
        visitor={"email": "kim@example.com"},
    )
    assert threads_seen_at_creation == [["conv-1"]]
    ticket = row.ticket
    # The outside-plan answer was written inside ticket.created, on a ticket whose
    # conversation was already known: a router can send it to conv-1.
    assert ticket.outside_plan is True
    answer = ticket.messages.get(direction="outbound")
    assert "Email" in answer.body_text
    assert ChannelThread.objects.get(ticket=ticket).key == "conv-1"


def test_an_email_ticket_s_message_id_is_its_thread_before_subscribers_run(
    email_channel, threads_seen_at_creation, django_capture_on_commit_callbacks
):
    from .conftest import deliver

    raw = build(subject="Broken", text="It broke.", message_id="<first@kim.example>")
    row = deliver(email_channel, raw, django_capture_on_commit_callbacks)
    assert threads_seen_at_creation == [["first@kim.example"]]
    assert row.ticket.messages.count() == 1


def test_a_social_message_after_its_ticket_closed_ends_the_thread_and_opens_a_ticket(
    integration_client, social_channel, django_capture_on_commit_callbacks
):
    from tickets.models import Ticket

    def post(message_id: str) -> InboundMessage:
        payload = {
            "platform": "x",
            "account": "acme",
            "author": {"handle": "kim"},
            "message_id": message_id,
            "conversation_id": "dm-1",
            "text": "Hello",
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = integration_client.post("/api/v1/inbound/social/", payload, format="json")
        return InboundMessage.objects.get(pk=response.json()["id"])

    first = post("1")
    Ticket.objects.filter(pk=first.ticket_id).update(status="closed")
    second = post("2")
    assert second.ticket_id != first.ticket_id
    threads = ChannelThread.objects.order_by("id")
    assert [(t.ticket_id, t.ended_at is not None) for t in threads] == [
        (first.ticket_id, True),
        (second.ticket_id, False),
    ]
