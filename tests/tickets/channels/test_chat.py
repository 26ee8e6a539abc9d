"""Live chat: one conversation, one ticket; idle conversations end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tickets.channels.chat import end_idle_conversations
from tickets.channels.models import ChannelThread, InboundMessage
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def chat(client, capture, text: str, message_id: str, conversation: str = "conv-7", **extra):
    payload = {
        "conversation_id": conversation,
        "message_id": message_id,
        "visitor": {"id": "visitor-93", "name": "Anonymous visitor"},
        "text": text,
        **extra,
    }
    with capture(execute=True):
        response = client.post("/api/v1/inbound/chat/", payload, format="json")
    assert response.status_code in (200, 202), response.content
    return InboundMessage.objects.get(pk=response.json()["id"])


def test_a_conversation_of_several_messages_is_one_ticket(
    integration_client, chat_channel, django_capture_on_commit_callbacks
):
    lines = ["Hi there", "My order 1042 did not arrive", "It was due on Monday"]
    rows = [
        chat(integration_client, django_capture_on_commit_callbacks, text, f"m{i}")
        for i, text in enumerate(lines)
    ]
    assert {r.ticket_id for r in rows} == {rows[0].ticket_id}
    ticket = Ticket.objects.get()
    assert ticket.channel == "chat"
    assert ticket.subject == "Chat: Hi there"
    assert list(ticket.messages.values_list("body_text", flat=True)) == lines
    identity = ticket.requester.identities.get()
    assert (identity.kind, identity.platform, identity.value) == (
        "social",
        f"chat-{chat_channel.pk}",
        "visitor-93",
    )


def test_a_repeated_message_is_acknowledged_once(
    integration_client, chat_channel, django_capture_on_commit_callbacks
):
    chat(integration_client, django_capture_on_commit_callbacks, "Hello", "m1")
    chat(integration_client, django_capture_on_commit_callbacks, "Hello", "m1")
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.get().messages.count() == 1


def test_a_conversation_idle_past_the_limit_ends_and_the_next_message_opens_a_ticket(
    integration_client, chat_channel, settings, django_capture_on_commit_callbacks
):
    settings.CHAT_IDLE_MINUTES = 30
    first = chat(integration_client, django_capture_on_commit_callbacks, "Hello", "m1")
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        same = chat(integration_client, django_capture_on_commit_callbacks, "Still there?", "m2")
    with time_machine.travel(timezone.now() + timedelta(minutes=90)):
        later = chat(integration_client, django_capture_on_commit_callbacks, "New question", "m3")
    assert same.ticket_id == first.ticket_id
    assert later.ticket_id != first.ticket_id
    assert ChannelThread.objects.filter(ended_at__isnull=False).count() == 1


def test_idle_sweep_ends_conversations(
    integration_client, chat_channel, settings, django_capture_on_commit_callbacks
):
    settings.CHAT_IDLE_MINUTES = 30
    chat(integration_client, django_capture_on_commit_callbacks, "Hello", "m1")
    assert end_idle_conversations() == 0
    assert end_idle_conversations(now=timezone.now() + timedelta(minutes=31)) == 1
    assert ChannelThread.objects.get().ended_at is not None


def test_visitor_with_email_is_the_same_customer_as_their_emails(
    integration_client, chat_channel, django_capture_on_commit_callbacks
):
    from customers.services import IdentityInput, customer_create

    kim = customer_create(name="Kim", identities=[IdentityInput("email", "kim@example.com")])
    row = chat(
        integration_client,
        django_capture_on_commit_callbacks,
        "Hi",
        "m1",
        visitor={"email": "KIM@example.com"},
    )
    assert row.ticket.requester_id == kim.pk
