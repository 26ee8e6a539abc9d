"""Sending webhooks: a delivery is an outbox row (transport "webhook"), queued in the caller's
transaction; the outbox signs, POSTs, retries (core.retry) and records it."""

from __future__ import annotations

from typing import Any

from outbox.models import OutboxMessage, Purpose
from outbox.services import outbox_enqueue, outbox_enqueue_many
from outbox.webhook import (  # noqa: F401 - the webhook vocabulary, re-exported
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    envelope,
    sign,
    validate_webhook_url,
)

from .models import WebhookSubscription


def delivery_create(
    *,
    url: str,
    secret: str,
    event: str,
    payload: dict[str, Any],
    source: str = "",
    subscription: WebhookSubscription | None = None,
    purpose: str = Purpose.WEBHOOK,
    channel: str = "",
    message=None,
) -> OutboxMessage:
    """Write the delivery (an outbox row, in the caller's transaction); sent after commit."""
    if subscription is not None:
        source = f"subscription:{subscription.pk}"
    return outbox_enqueue(
        transport="webhook",
        purpose=purpose,
        recipient=url,
        payload=envelope(url=url, secret=secret, event=event, body=payload),
        channel=channel,
        message=message,
        source=source,
    )


def subscription_deliveries_create(
    deliveries: list[tuple[WebhookSubscription, str, dict[str, Any]]],
) -> list[OutboxMessage]:
    """delivery_create for many (subscription, event, payload) at once (a batch of events):
    the same rows, in the same order, in one INSERT."""
    return outbox_enqueue_many(
        [
            OutboxMessage(
                transport="webhook",
                purpose=Purpose.WEBHOOK,
                recipient=subscription.url,
                payload=envelope(
                    url=subscription.url, secret=subscription.secret, event=event, body=payload
                ),
                source=f"subscription:{subscription.pk}",
            )
            for subscription, event, payload in deliveries
        ]
    )


def subscription_deliveries(subscription: WebhookSubscription):
    """A subscription's delivery log (outbox rows), newest first."""
    return OutboxMessage.objects.filter(source=f"subscription:{subscription.pk}").order_by("-id")
