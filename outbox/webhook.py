"""The webhook transport: a signed JSON POST. `X-Helpdesk-Delivery` is the row's id, the same
on every attempt, so a receiver that saw it already can tell a repeat (delivery is at least
once).

Permanent: an HTTP 4xx other than 408 and 429 (a 410 Gone is not retried), a URL that is not
allowed (private address, not https). Transient: 5xx, 408, 429, network errors, timeouts.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from core.retry import PermanentError

from .models import OutboxMessage
from .transports import Sent

SIGNATURE_HEADER = "X-Helpdesk-Signature"
TIMESTAMP_HEADER = "X-Helpdesk-Timestamp"
EVENT_HEADER = "X-Helpdesk-Event"
DELIVERY_HEADER = "X-Helpdesk-Delivery"
RETRIED_4XX = frozenset({408, 429})


class HttpTransient(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class HttpPermanent(PermanentError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


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


def envelope(*, url: str, secret: str, event: str, body: dict) -> dict:
    """The payload of a webhook row (the secret is kept so a delivery is signed with the
    secret valid when it was queued)."""
    return {"url": url, "secret": secret, "event": event, "body": body}


def _request(row: OutboxMessage) -> urllib.request.Request:
    payload = row.payload
    body = json.dumps(payload["body"], separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    return urllib.request.Request(  # noqa: S310 - scheme checked by validate_webhook_url
        payload["url"],
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "helpdesk-webhooks/1",
            SIGNATURE_HEADER: sign(payload["secret"], timestamp, body),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: payload["event"],
            DELIVERY_HEADER: str(row.pk),
        },
    )


def send(row: OutboxMessage) -> Sent:
    try:
        validate_webhook_url(row.payload["url"])  # again: DNS may have changed since
    except ValidationError as exc:
        raise HttpPermanent("; ".join(exc.messages)) from exc
    try:
        with urllib.request.urlopen(  # noqa: S310
            _request(row), timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            return Sent(provider_id=str(row.pk), status=response.status)
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code not in RETRIED_4XX:
            raise HttpPermanent(f"HTTP {exc.code}", status=exc.code) from exc
        raise HttpTransient(f"HTTP {exc.code}", status=exc.code) from exc
