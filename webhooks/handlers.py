"""What webhooks hear: every domain event (`"*"`; subscriptions.on_event keeps the types a
subscription may ask for) becomes delivery rows in the publisher's transaction, and edits to
subscriptions clear the per-process cache of active ones."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from core import events

from .models import WebhookSubscription
from .subscriptions import on_event, on_events, subscriptions_cache_clear


def connect() -> None:
    """Idempotent: events.subscribe and the dispatch_uid ignore a second call."""
    events.subscribe("*", on_event, many=on_events)
    for signal in (post_save, post_delete):
        signal.connect(
            subscriptions_cache_clear,
            sender=WebhookSubscription,
            weak=False,
            dispatch_uid="webhooks.subscriptions_cache_clear",
        )
