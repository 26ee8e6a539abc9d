"""Webhook subscriptions: managers register URL + events; each subscribed domain event
becomes a signed delivery in the same transaction; receivers can verify the signature;
a 500 is retried and a 2xx ends it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.models import State as DeliveryState
from outbox.tasks import sweep as sweep_webhook_deliveries
from tests.conftest import assert_error
from tests.factories import CustomerFactory, TeamFactory
from tickets import services as tickets
from webhooks.models import WebhookSubscription
from webhooks.subscriptions import subscription_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/"


def test_manager_registers_and_the_secret_is_shown_once(manager_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    created = manager_client.post(
        URL,
        {"name": "CRM", "url": "https://crm.example/hooks", "events": ["ticket.created"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert len(secret) >= 32
    assert WebhookSubscription.objects.get().secret == secret
    shown = manager_client.get(f"{URL}{created.json()['id']}/").json()
    assert "secret" not in shown
    assert shown["events"] == ["ticket.created"]


def test_a_subscription_can_be_registered_inactive(manager_client, settings):
    """Found by schemathesis: `active` in the create body was a 500 (the service lacked it)."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    body = {"name": "Later", "url": "https://crm.example/h", "events": ["ticket.created"]}
    created = manager_client.post(URL, {**body, "active": False}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["active"] is False
    assert WebhookSubscription.objects.get().active is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://crm.example/x", "events": ["ticket.created"]}, "url"),
        ({"url": "https://127.0.0.1/x", "events": ["ticket.created"]}, "url"),
        ({"url": "https://10.1.2.3/x", "events": ["ticket.created"]}, "url"),
        ({"url": "https://[::1]/x", "events": ["ticket.created"]}, "url"),
        ({"url": "https://crm.example/x", "events": ["ticket.exploded"]}, "events.0"),
        ({"url": "https://crm.example/x", "events": []}, "events"),
        (
            {"url": "https://crm.example/x", "events": ["ticket.created"], "secret": "short"},
            "secret",
        ),
    ],
)
def test_bad_subscriptions_are_400(manager_client, body, field):
    response = manager_client.post(URL, {"name": "x", **body}, format="json")
    assert_error(response, 400, field=field)
    assert not WebhookSubscription.objects.exists()


def test_plain_http_is_refused_when_https_is_required(manager_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    response = manager_client.post(
        URL, {"name": "x", "url": "http://crm.example/x", "events": ["ticket.created"]}
    )
    assert_error(response, 400, field="url")


@pytest.fixture
def subscribed(receiver):
    return subscription_create(
        name="CRM",
        url=receiver.url,
        events=["ticket.created", "sla.breached"],
        secret="0123456789abcdef-secret",
    )


def _open_ticket():
    return tickets.ticket_create(
        requester=CustomerFactory(), subject="Where is my order?", body="x", team=TeamFactory()
    )


def test_subscribed_events_are_delivered_signed(
    subscribed, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open_ticket()
        tickets.ticket_update(ticket=ticket, actor=None, priority=4)  # not subscribed
    [(headers, body)] = receiver.requests
    expected = hmac.new(
        b"0123456789abcdef-secret",
        headers["X-Helpdesk-Timestamp"].encode() + b"." + body,
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-Helpdesk-Signature"] == f"sha256={expected}"
    assert headers["X-Helpdesk-Event"] == "ticket.created"
    payload = json.loads(body)
    assert payload["type"] == "ticket.created"
    assert payload["ticket"]["id"] == ticket.pk
    assert payload["ticket"]["subject"] == "Where is my order?"
    delivery = OutboxMessage.objects.get()
    assert (delivery.source, delivery.state) == (
        f"subscription:{subscribed.pk}",
        DeliveryState.SENT,
    )


def test_a_rolled_back_change_announces_nothing(subscribed):
    def failing_request():
        with transaction.atomic():
            _open_ticket()
            raise RuntimeError("the request failed after creating the ticket")

    with pytest.raises(RuntimeError):
        failing_request()
    assert not OutboxMessage.objects.exists()


def test_a_500_is_retried_and_a_2xx_ends_it(subscribed, receiver, manager_client):
    receiver.statuses = [500, 503]
    _open_ticket()  # on_commit is not run in this test: the sweep does all the sending
    sweep_webhook_deliveries()
    delivery = OutboxMessage.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("queued", 1, 500)
    for _ in range(2):
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
            sweep_webhook_deliveries()
        delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 3)
    assert len(receiver.requests) == 3
    assert len({json.loads(body)["ticket"]["id"] for _, body in receiver.requests}) == 1

    log = manager_client.get(f"{URL}{subscribed.pk}/deliveries/").json()["results"]
    assert [(d["state"], d["attempts"], d["last_status"]) for d in log] == [("delivered", 3, 200)]


def test_inactive_subscriptions_get_nothing(subscribed):
    subscribed.active = False
    subscribed.save()
    _open_ticket()
    assert not OutboxMessage.objects.exists()


def test_other_roles_cannot_touch_webhooks(agent_client, integration_client):
    assert agent_client.get(URL).status_code == 403
    assert integration_client.post(URL, {}).status_code == 403


def test_delivery_attempts_are_bounded(subscribed, receiver, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    receiver.statuses = [500] * 100
    _open_ticket()
    delivery = OutboxMessage.objects.get()
    for hours in (1, 2, 3, 4):
        with time_machine.travel(timezone.now() + timedelta(hours=hours)):
            sweep_webhook_deliveries()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    assert len(receiver.requests) == 3


def test_a_410_is_permanent_and_not_retried(subscribed, receiver, manager_client):
    receiver.statuses = [410]
    _open_ticket()
    sweep_webhook_deliveries()
    delivery = OutboxMessage.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 1, 410)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert sweep_webhook_deliveries() == 0
    assert len(receiver.requests) == 1
    log = manager_client.get(f"{URL}{subscribed.pk}/deliveries/").json()["results"]
    assert [(d["state"], d["delivery_state"], d["last_status"]) for d in log] == [
        ("failed", "failed", 410)
    ]
