"""What WhatsApp, Messenger and Instagram adapters share beyond the signature: timestamps,
the sending channel of an outbox row, and the settings checks."""

from __future__ import annotations

from datetime import UTC, datetime

from core.retry import PermanentError

from ...models import ChannelKind
from ..models import Channel

# Settings every Meta channel needs (the webhook door's handshake and signature).
WEBHOOK_SETTINGS = frozenset({"app_secret", "verify_token"})


def from_unix(value, *, millis: bool = False) -> datetime | None:
    """A webhook timestamp (seconds as a string for WhatsApp, milliseconds for Messenger)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(number / 1000 if millis else number, tz=UTC)


def sending_channel(payload: dict, kind: ChannelKind | str) -> Channel:
    """The channel an outbox row sends from, read at send time (a rotated token applies to
    rows still queued); a removed or disabled channel cannot send (permanent)."""
    channel = Channel.objects.filter(
        pk=payload.get("channel_id"), kind=kind, is_active=True
    ).first()
    if channel is None:
        raise PermanentError(f"The {kind} channel {payload.get('channel_id')} is not active.")
    return channel
