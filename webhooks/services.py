"""Sending webhooks: queue a delivery in the caller's transaction, POST it signed, retry with
exponential backoff for about a day, then give up and keep the error on the row."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.queueing import enqueue_on_commit

from .models import DeliveryState, WebhookDelivery, WebhookSubscription

SIGNATURE_HEADER = "X-Helpdesk-Signature"
TIMESTAMP_HEADER = "X-Helpdesk-Timestamp"
EVENT_HEADER = "X-Helpdesk-Event"
DELIVERY_HEADER = "X-Helpdesk-Delivery"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over `timestamp.body`; receivers recompute it and reject old timestamps."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def validate_webhook_url(url: str) -> str:
    """An http(s) URL whose host does not resolve to a private, loopback or link-local
    address (no requests into our own network), unless WEBHOOKS_ALLOW_PRIVATE is set."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("A webhook URL must be an http or https URL.", code="invalid_url")
    if parts.scheme != "https" and settings.WEBHOOKS_REQUIRE_HTTPS:
        raise ValidationError("A webhook URL must use https.", code="insecure_url")
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ValidationError(f"Cannot resolve {parts.hostname}.", code="invalid_url") from exc
    if any(_private(info[4][0]) for info in infos):
        raise ValidationError(
            f"{parts.hostname} resolves to a private or loopback address.", code="private_url"
        )
    return url


def delivery_create(
    *,
    url: str,
    secret: str,
    event: str,
    payload: dict[str, Any],
    source: str = "",
    subscription: WebhookSubscription | None = None,
) -> WebhookDelivery:
    """Write the delivery row (in the caller's transaction) and send it after commit."""
    delivery = WebhookDelivery.objects.create(
        url=url,
        secret=secret,
        event=event,
        payload=payload,
        source=source,
        subscription=subscription,
        next_attempt_at=timezone.now(),
    )
    enqueue_on_commit("webhooks.deliver", delivery.pk)
    return delivery


def deliveries_create(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """delivery_create for many unsaved rows at once (a batch of events): one INSERT, each
    row sent after commit."""
    if not deliveries:
        return []
    now = timezone.now()
    for delivery in deliveries:
        delivery.next_attempt_at = now
    created = WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in created:
        enqueue_on_commit("webhooks.deliver", delivery.pk)
    return created


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling, at most 2 h between attempts."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 7200))


def _post(delivery: WebhookDelivery) -> int:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    validate_webhook_url(delivery.url)  # again: DNS may have changed since it was configured
    request = urllib.request.Request(  # noqa: S310 - scheme checked by validate_webhook_url
        delivery.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "helpdesk-webhooks/1",
            SIGNATURE_HEADER: sign(delivery.secret, timestamp, body),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.pk),
        },
    )
    with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.status


def delivery_attempt(delivery: WebhookDelivery) -> WebhookDelivery:
    """One attempt (the row is locked by the caller). 2xx delivers; anything else schedules
    the next attempt, or fails the delivery once WEBHOOK_RETRY_FOR has passed."""
    if delivery.state != DeliveryState.PENDING:
        return delivery
    now = timezone.now()
    delivery.attempts += 1
    try:
        status = _post(delivery)
        error = ""
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (OSError, ValidationError) as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"
    delivery.last_status = status
    delivery.error = error
    if status is not None and 200 <= status < 300:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif now - delivery.created_at >= settings.WEBHOOK_RETRY_FOR:
        delivery.state = DeliveryState.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save()
    return delivery


def delivery_attempt_by_id(delivery_id: int) -> None:
    """The attempt queued right after commit; skipped if a sweep holds the row meanwhile."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is not None:
            delivery_attempt(delivery)


def deliveries_due():
    return WebhookDelivery.objects.filter(
        state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at")
