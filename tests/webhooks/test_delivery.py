"""Outbound webhooks: signed POSTs (outbox rows) to a real local HTTP server, retried with
the one backoff, not retried on a permanent 4xx; private addresses refused unless allowed."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.models import State as DeliveryState
from outbox.tasks import sweep as sweep_webhook_deliveries
from tests.tickets.channels.conftest import make_channel
from tickets.channels.models import InboundMessage
from tickets.services import ticket_reply
from webhooks.services import delivery_create, validate_webhook_url

pytestmark = pytest.mark.django_db


def send(capture, **kwargs) -> OutboxMessage:
    with capture(execute=True):
        delivery = delivery_create(**kwargs)
    delivery.refresh_from_db()
    return delivery


def test_delivery_is_signed_over_timestamp_and_body(receiver, django_capture_on_commit_callbacks):
    delivery = send(
        django_capture_on_commit_callbacks,
        url=receiver.url,
        secret="s3cret",
        event="channel.reply",
        payload={"text": "Hello"},
    )
    assert delivery.state == DeliveryState.SENT
    [(headers, body)] = receiver.requests
    expected = hmac.new(
        b"s3cret", headers["X-Helpdesk-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Helpdesk-Signature"] == f"sha256={expected}"
    assert headers["X-Helpdesk-Event"] == "channel.reply"
    assert json.loads(body) == {"text": "Hello"}
    assert headers["X-Helpdesk-Delivery"] == str(delivery.pk)


def test_failed_delivery_backs_off_then_succeeds_from_the_sweep(
    receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [503, 500]
    delivery = send(
        django_capture_on_commit_callbacks, url=receiver.url, secret="s", event="e", payload={}
    )
    assert delivery.state == DeliveryState.QUEUED
    assert delivery.last_status == 503
    first_retry = delivery.next_attempt_at
    assert first_retry > timezone.now()
    assert sweep_webhook_deliveries() == 0  # not due yet
    with time_machine.travel(first_retry + timedelta(seconds=1)):
        sweep_webhook_deliveries()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - first_retry > timedelta(seconds=50)  # doubled
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        sweep_webhook_deliveries()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert len(receiver.requests) == 3


def test_delivery_gives_up_after_the_last_attempt(
    receiver, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    receiver.statuses = [500] * 10
    delivery = send(
        django_capture_on_commit_callbacks, url=receiver.url, secret="s", event="e", payload={}
    )
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        sweep_webhook_deliveries()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 2)
    assert delivery.error == "HTTP 500"
    assert delivery.next_attempt_at is None


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/x", "http://localhost/x", "http://10.0.0.5/", "http://169.254.169.254/"],
)
def test_private_and_loopback_urls_are_refused(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        validate_webhook_url(url)


def test_unsupported_scheme_is_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with pytest.raises(ValidationError):
        validate_webhook_url("ftp://example.com/")


def test_agent_reply_on_a_chat_ticket_goes_to_the_chat_provider(
    receiver, team, agent, integration_client, django_capture_on_commit_callbacks
):
    make_channel("chat", "Chat", widget_id="w-1", webhook_url=receiver.url, webhook_secret="k")
    payload = {"conversation_id": "conv-1", "visitor": {"id": "v1"}, "text": "Help!"}
    with django_capture_on_commit_callbacks(execute=True):
        response = integration_client.post("/api/v1/inbound/chat/", payload, format="json")
    ticket = InboundMessage.objects.get(pk=response.json()["id"]).ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="Hi, how can I help?")
        ticket_reply(ticket=ticket, author=agent, body="internal", public=False)
    [(_, body)] = receiver.requests
    sent = json.loads(body)
    assert sent["conversation_id"] == "conv-1"
    assert sent["widget_id"] == "w-1"
    assert sent["message"]["text"] == "Hi, how can I help?"
    assert OutboxMessage.objects.get().state == DeliveryState.SENT


def test_agent_reply_on_a_social_ticket_goes_out_with_the_conversation(
    receiver, team, agent, integration_client, django_capture_on_commit_callbacks
):
    make_channel(
        "social",
        "FB",
        platform="facebook",
        account="acme",
        webhook_url=receiver.url,
        webhook_secret="k",
    )
    payload = {
        "platform": "facebook",
        "account": "acme",
        "author": {"handle": "kim.lee"},
        "message_id": "mid.1",
        "conversation_id": "t_100",
        "text": "Where is my refund?",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = integration_client.post("/api/v1/inbound/social/", payload, format="json")
    ticket = InboundMessage.objects.get(pk=response.json()["id"]).ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="It left today.")
    sent = json.loads(receiver.requests[0][1])
    assert (sent["platform"], sent["account"], sent["conversation_id"]) == (
        "facebook",
        "acme",
        "t_100",
    )
    assert sent["reply_to_message_id"] == "mid.1"
    assert sent["public"] is False
