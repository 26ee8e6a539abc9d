"""Social: a conversation is one ticket, platform + message id dedupes."""

from __future__ import annotations

import pytest

from tickets.channels.models import InboundMessage
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def social(client, capture, message_id: str, text: str, conversation: str = "dm-55", **extra):
    payload = {
        "platform": "x",
        "account": "@Acme",
        "author": {"handle": "@KimLee", "name": "Kim Lee"},
        "message_id": message_id,
        "conversation_id": conversation,
        "is_public": False,
        "text": text,
        **extra,
    }
    with capture(execute=True):
        response = client.post("/api/v1/inbound/social/", payload, format="json")
    assert response.status_code in (200, 202), response.content
    return InboundMessage.objects.get(pk=response.json()["id"])


def test_a_social_thread_is_one_ticket(
    integration_client, social_channel, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = social(integration_client, capture, "1001", "Your app crashes on login")
    second = social(
        integration_client,
        capture,
        "1002",
        "Screenshot attached",
        media_urls=["https://pbs.example.com/media/1.jpg"],
    )
    other = social(integration_client, capture, "2001", "Another topic", conversation="dm-56")
    assert first.ticket_id == second.ticket_id != other.ticket_id
    ticket = first.ticket
    assert ticket.subject == "Twitter message from @KimLee"
    assert ticket.channel == "social"
    assert "https://pbs.example.com/media/1.jpg" in second.message.body_text
    identity = ticket.requester.identities.get()
    assert (identity.platform, identity.value) == ("twitter", "kimlee")


def test_the_same_platform_message_twice_is_deduped(
    integration_client, social_channel, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    social(integration_client, capture, "1001", "Hello")
    again = social(integration_client, capture, "1001", "Hello")
    assert InboundMessage.objects.count() == 1
    assert again.dedupe_key == "twitter:1001"
    assert Ticket.objects.get().messages.count() == 1
