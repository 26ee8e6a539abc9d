"""Webhook subscriptions: managers register a URL for event types; every such domain event
becomes a signed delivery row in the transaction that produced it (so a rolled-back change
announces nothing, and a committed one is delivered at least once)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from core import events
from core.process_cache import ProcessCache
from core.unset import UNSET, Unset

from .models import WebhookSubscription
from .services import delivery_create, subscription_deliveries_create, validate_webhook_url

SUBSCRIBABLE = (
    events.TICKET_CREATED,
    events.TICKET_UPDATED,
    events.MESSAGE_CREATED,
    events.SLA_WARNING,
    events.SLA_BREACHED,
    events.FOLLOWUP_SENT,
    events.SURVEY_ANSWERED,
    events.CUSTOMER_AT_RISK,
    events.GOODWILL_GRANTED,
    events.GOODWILL_REQUESTED,
    events.GOODWILL_DECLINED,
    events.MESSAGE_DELIVERY_FAILED,
)


def _clean(url: str | Unset, event_types: Iterable[str] | Unset) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    if url is not UNSET:
        try:
            cleaned["url"] = validate_webhook_url(url)
        except ValidationError as exc:
            errors["url"] = exc.messages
    if event_types is not UNSET:
        chosen = list(dict.fromkeys(event_types))
        unknown = [e for e in chosen if e not in SUBSCRIBABLE]
        if unknown or not chosen:
            errors["events"] = [
                f"Choose from {', '.join(SUBSCRIBABLE)}"
                + (f" (unknown: {', '.join(unknown)})." if unknown else ".")
            ]
        cleaned["events"] = chosen
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def subscription_create(
    *,
    name: str,
    url: str,
    events: Iterable[str],
    secret: str = "",
    active: bool = True,
    created_by=None,
) -> WebhookSubscription:
    """Register a subscription; without a secret one is generated (shown once, on create).
    It may be created inactive (configured now, switched on later)."""
    cleaned = _clean(url, events)
    return WebhookSubscription.objects.create(
        name=name,
        secret=secret or secrets.token_urlsafe(32),
        active=active,
        created_by=created_by,
        **cleaned,
    )


@transaction.atomic
def subscription_update(
    subscription: WebhookSubscription,
    *,
    name: str | Unset = UNSET,
    url: str | Unset = UNSET,
    events: Iterable[str] | Unset = UNSET,
    secret: str | Unset = UNSET,
    active: bool | Unset = UNSET,
) -> WebhookSubscription:
    """Change a subscription; an empty secret keeps the stored one."""
    for field, value in _clean(url, events).items():
        setattr(subscription, field, value)
    if name is not UNSET:
        subscription.name = name
    if secret is not UNSET and secret:
        subscription.secret = secret
    if active is not UNSET:
        subscription.active = active
    subscription.save()
    return subscription


def _ref(obj, *fields: str) -> dict | None:
    if obj is None:
        return None
    return {field: getattr(obj, field) for field in ("id", *fields)}


def event_payload(event: events.DomainEvent) -> dict:
    """What a receiver gets: the event, the objects it is about (by id and a few fields) and
    what changed. JSON-safe (datetimes as ISO 8601)."""
    body = {
        "type": event.type,
        "occurred_at": event.occurred_at,
        "ticket": _ref(
            event.ticket,
            "subject",
            "status",
            "priority",
            "channel",
            "kind",
            "requester_id",
            "team_id",
            "assignee_id",
        ),
        "message": _ref(event.message, "direction", "is_public", "channel", "body_text"),
        "customer": _ref(event.customer, "name"),
        "changes": {field: list(pair) for field, pair in event.changes.items()},
        "data": dict(event.data),
    }
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder, default=str))


def _active() -> list[WebhookSubscription]:
    return list(WebhookSubscription.objects.filter(active=True))


# Every domain event asks, and a sweep publishes a thousand: read once per process. A change
# made in this process clears it at once (webhooks.handlers); other processes see it within
# WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS.
_ACTIVE = ProcessCache(_active, seconds_setting="WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS")


def active_subscriptions() -> list[WebhookSubscription]:
    return _ACTIVE.get()


def subscriptions_cache_clear(**_kwargs) -> None:
    _ACTIVE.clear()


def on_event(event: events.DomainEvent) -> None:
    if event.type not in SUBSCRIBABLE:
        return
    subscriptions = [s for s in active_subscriptions() if event.type in s.events]
    if not subscriptions:
        return
    payload = event_payload(event)
    for subscription in subscriptions:
        delivery_create(
            url=subscription.url,
            secret=subscription.secret,
            event=event.type,
            payload=payload,
            subscription=subscription,
        )


def on_events(batch: list[events.DomainEvent]) -> None:
    """on_event for a batch of events (core.events.publish_many): the same rows, in the same
    order, written in one INSERT."""
    rows = []
    for event in batch:
        if event.type not in SUBSCRIBABLE:
            continue
        subscriptions = [s for s in active_subscriptions() if event.type in s.events]
        if not subscriptions:
            continue
        payload = event_payload(event)
        rows += [(subscription, event.type, payload) for subscription in subscriptions]
    subscription_deliveries_create(rows)
