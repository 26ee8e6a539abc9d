"""Providers that post in their own formats (Telegram, WhatsApp, Messenger, Instagram,
Twilio): what their webhook door needs from an adapter, and what the door does with it.

The door is POST /api/v1/hooks/<kind>/<channel id>/ (GET too, for a provider's subscription
handshake, e.g. Meta's hub.challenge). It is public: the provider proves itself with its own
signature, checked by the adapter's `verify` on the exact bytes received before anything is
read or stored (a bad signature is 401/403 and stores nothing). `parse` turns one body into
what it carries: messages to store raw (each through intake_store with its dedupe key, so a
provider's retry is a duplicate, and processed later by the adapter's `process`) and delivery
statuses that update the outbox row the provider knows by its id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from outbox.services import outbox_provider_status

from .intake import intake_store
from .models import InboundDoor

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .models import Channel, InboundMessage


class SignatureRejected(Exception):
    """The request is not from the provider (401 when unsigned, 403 when signed wrongly)."""

    def __init__(self, reason: str, *, status: int = 403):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class PayloadRejected(Exception):
    """Signed, but not a body this adapter understands (400, nothing stored)."""


@dataclass(frozen=True)
class InboundItem:
    """One message in a provider's body: stored as `payload` under `dedupe_key`."""

    dedupe_key: str
    payload: dict


@dataclass(frozen=True)
class DeliveryStatus:
    """What the provider reports about something we sent (the outbox row's provider_id)."""

    provider_id: str
    status: str  # "delivered", "read" or "failed"
    error: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class ProviderHooks:
    # Raise SignatureRejected unless `request` is signed by the provider for `channel`.
    verify: Callable[[Channel, HttpRequest], None]
    # The items of one verified body; raise PayloadRejected for a body it cannot read.
    parse: Callable[[Channel, HttpRequest], list[InboundItem | DeliveryStatus]]
    # GET on the door (subscription handshake); None: GET is 405.
    handshake: Callable[[Channel, HttpRequest], HttpResponse] | None = None
    # The body the provider expects back (Twilio: empty TwiML); None: {"ok": true}.
    acknowledge: Callable[[Channel, list], HttpResponse] | None = None


@dataclass(frozen=True)
class Received:
    stored: list[InboundMessage]
    duplicates: int
    statuses: int


@transaction.atomic
def provider_receive(channel: Channel, items: list[InboundItem | DeliveryStatus]) -> Received:
    """Store a verified body's messages (duplicates acknowledged, unchanged) and apply its
    delivery statuses, in one transaction: a body is taken whole or not at all."""
    stored: list[Any] = []
    duplicates = statuses = 0
    for item in items:
        if isinstance(item, DeliveryStatus):
            transport = channel.kind
            statuses += outbox_provider_status(
                transport=transport,
                provider_id=item.provider_id,
                status=item.status,
                error=item.error,
                at=item.at,
            )
            continue
        row, created = intake_store(
            channel=channel,
            dedupe_key=item.dedupe_key,
            raw_json=item.payload,
            door=InboundDoor.PROVIDER,
        )
        if created:
            stored.append(row)
        else:
            duplicates += 1
    return Received(stored=stored, duplicates=duplicates, statuses=statuses)
