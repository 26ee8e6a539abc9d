"""IMAP poller: fetch new mail of an email channel by UID and store each message raw.

The channel row keeps the mailbox's UIDVALIDITY and the last UID stored; both are updated
in the same transaction as the InboundMessage of that UID, so a crash between two messages
resumes after the last stored one (nothing skipped) and never stores one twice (nothing
repeated; the Message-ID dedupe would catch it anyway). A changed UIDVALIDITY means the
server renumbered the mailbox: start again from UID 1, and let the dedupe key absorb the
messages already stored.
"""

from __future__ import annotations

import imaplib
import logging
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction

from ...choices import ChannelKind
from ..intake import intake_store
from ..models import Channel, InboundDoor
from .parse import dedupe_key

logger = logging.getLogger(__name__)
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


def polled_channel_ids() -> list[int]:
    """The active email channels with IMAP settings (beat polls each)."""
    active = Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True).only("pk", "settings")
    return [c.pk for c in active if c.settings.get("imap")]


def imap_connect(settings: dict[str, Any]) -> imaplib.IMAP4:
    """Log in with the channel's IMAP settings (the external system; tests pass a fake)."""
    ssl = settings.get("ssl", True)
    port = int(settings.get("port") or (993 if ssl else 143))
    client = (imaplib.IMAP4_SSL if ssl else imaplib.IMAP4)(settings["host"], port, timeout=30)
    client.login(settings["username"], settings.get("password", ""))
    return client


def _uid_validity(client) -> int | None:
    _, data = client.response("UIDVALIDITY")
    if data and data[0] is not None:
        return int(data[0])
    _, data = client.status(client.selected_folder, "(UIDVALIDITY)")
    match = _UIDVALIDITY.search(data[0] if data else b"")
    return int(match.group(1)) if match else None


def poll_channel(
    channel: Channel, *, connect: Callable[[dict], Any] = imap_connect, limit: int = 200
) -> int:
    """Store new messages of the channel's mailbox; returns how many rows were stored."""
    imap_settings = channel.settings.get("imap") or {}
    if not imap_settings:
        return 0
    client = connect(imap_settings)
    folder = imap_settings.get("folder") or "INBOX"
    stored = 0
    try:
        client.select(folder, readonly=True)
        client.selected_folder = folder
        validity = _uid_validity(client)
        with transaction.atomic():
            locked = Channel.objects.select_for_update().get(pk=channel.pk)
            if locked.imap_uid_validity != validity:
                locked.imap_uid_validity, locked.imap_last_uid = validity, 0
                locked.save(update_fields=["imap_uid_validity", "imap_last_uid"])
            last_uid = locked.imap_last_uid
        _, data = client.uid("SEARCH", None, f"UID {last_uid + 1}:*")
        uids = sorted(int(uid) for uid in (data[0] or b"").split() if int(uid) > last_uid)
        for uid in uids[:limit]:
            _, fetched = client.uid("FETCH", str(uid), "(RFC822)")
            raw = next(part[1] for part in fetched if isinstance(part, tuple))
            with transaction.atomic():
                locked = Channel.objects.select_for_update().get(pk=channel.pk)
                if locked.imap_uid_validity != validity or locked.imap_last_uid >= uid:
                    continue  # another poller got here first
                intake_store(
                    channel=locked,
                    dedupe_key=dedupe_key(raw),
                    raw_bytes=raw,
                    door=InboundDoor.IMAP,
                )
                locked.imap_last_uid = uid
                locked.save(update_fields=["imap_last_uid"])
                stored += 1
    finally:
        try:
            client.logout()
        except Exception:
            logger.debug("imap logout failed", exc_info=True)
    return stored
