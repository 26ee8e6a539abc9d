"""Raw-first intake, the one pipeline behind every door (API, anymail webhooks, IMAP).

1. `intake_store` writes the payload as an InboundMessage. The (channel, dedupe_key) unique
   constraint decides duplicates: a second delivery returns the existing row and changes
   nothing. Processing is queued on commit.
2. `processing.intake_process` turns the row into a ticket or a message with the channel's
   adapter's `process`, which opens tickets and appends messages with the helpers here
   (`open_ticket`, `append_message`, `Ignored`; threads.continue_or_open uses them).
   `inbound_reprocess` puts a failed row back through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import rows
from core.errors import ConflictError
from core.queueing import enqueue_on_commit
from customers.models import Customer

from .. import services as ticket_services
from ..attachments import AttachmentInput
from ..models import Message, Ticket
from ..selectors import merge_target_of
from . import registry
from .models import Channel, ChannelThread, InboundDoor, InboundMessage, InboundState

logger = logging.getLogger(__name__)


class Ignored(Exception):
    """Processing decided the payload creates nothing (auto-reply, bounce, loop).

    `classification` names what it is ("bounce:hard", "auto_reply", ...); `effect` is what an
    ignored payload still changes (a hard bounce marks an address undeliverable). It runs after
    the processor's savepoint is rolled back, so nothing else the processor wrote survives."""

    def __init__(
        self, reason: str, *, classification: str = "", effect: Callable[[], None] | None = None
    ):
        super().__init__(reason)
        self.reason = reason
        self.classification = classification
        self.effect = effect


@dataclass(frozen=True)
class Outcome:
    ticket: Ticket
    message: Message


def open_ticket(
    channel: Channel,
    *,
    requester: Customer,
    subject: str,
    body: str = "",
    html_body: str = "",
    external_id: str = "",
    external_ref: str = "",
    attachments: Iterable[AttachmentInput] = (),
    withheld_parts: Iterable[dict] = (),
    tags: Iterable[str] = (),
    submitted_by=None,
    thread_key: str = "",
    thread_at: datetime | None = None,
) -> tuple[Ticket, Message]:
    """A new ticket from a channel, through tickets.services.ticket_create (so everything that
    listens to ticket.created, e.g. SLA clocks and the tier rule, sees it). Its thread
    `thread_key` (a conversation id, a Message-ID) is written before those listeners run."""
    integration = submitted_by if submitted_by is not None and submitted_by.is_integration else None
    thread = None
    if thread_key:
        thread = ChannelThread(
            channel=channel, key=thread_key[:500], last_message_at=thread_at or timezone.now()
        )
    ticket = ticket_services.ticket_create(
        requester=requester,
        subject=subject,
        body=body,
        html_body=html_body,
        channel=channel.kind,
        priority=channel.default_priority,
        team=channel.default_team,
        external_ref=external_ref,
        external_id=external_id,
        attachments=attachments,
        withheld_parts=withheld_parts,
        tags=tags,
        source_integration=integration,
        thread=thread,
    )
    return ticket, ticket.first_message


def append_message(ticket: Ticket, **kwargs: Any) -> Message | None:
    """The customer's message on an existing ticket (or on the ticket it was merged into);
    None if that ticket is closed (final), in which case the caller opens a new ticket.

    A merged ticket is closed, so the merge is only looked up when the ticket refuses the
    message (customer_message_add refuses having written nothing, so the transaction goes
    on)."""
    try:
        return ticket_services.customer_message_add(ticket=ticket, **kwargs)
    except ConflictError:
        target = merge_target_of(ticket)
    if target.pk == ticket.pk:
        return None
    try:
        return ticket_services.customer_message_add(ticket=target, **kwargs)
    except ConflictError:
        return None


def integration_of(inbound: InboundMessage):
    """The integration that delivered the payload (it may then read the customer), if any."""
    user = inbound.submitted_by
    return user if user is not None and user.is_integration else None


def intake_store(
    *,
    channel: Channel,
    dedupe_key: str,
    raw_bytes: bytes | None = None,
    raw_json: Any = None,
    door: str = InboundDoor.API,
    submitted_by=None,
) -> tuple[InboundMessage, bool]:
    """Store a payload before anything else; returns (row, created). A known dedupe key
    returns the existing row untouched (the duplicate is acknowledged, nothing changes).

    The INSERT is tried first (the common case) and the unique constraint decides, so two
    concurrent deliveries of one payload cannot both get in: one INSERT ... ON CONFLICT DO
    NOTHING RETURNING id (no savepoint), which returns no row for a duplicate."""
    dedupe_key = dedupe_key[:500]
    row = InboundMessage(
        channel=channel,
        dedupe_key=dedupe_key,
        kind=channel.kind,
        door=door,
        raw_bytes=raw_bytes,
        raw_json=raw_json,
        submitted_by=submitted_by,
    )
    if not _insert_new(row):
        return InboundMessage.objects.get(channel=channel, dedupe_key=dedupe_key), False
    enqueue_on_commit("tickets.process_inbound", row.pk)
    return row, True


def _insert_new(row: InboundMessage) -> bool:
    """INSERT the row unless its (channel, dedupe_key) exists; True (and its pk set) if it
    was inserted: one INSERT ... ON CONFLICT DO NOTHING RETURNING id, in SQL written once."""
    return rows.insert([row], skip_conflicts=True) == 1


@transaction.atomic
def inbound_reprocess(inbound: InboundMessage) -> InboundMessage:
    """Put a failed (or stuck) row back to `received` and queue it, e.g. after a fix.
    Processed and ignored rows are final and left alone."""
    row = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if row.state in (InboundState.PROCESSED, InboundState.IGNORED):
        return row
    row.state, row.error, row.attempts = InboundState.RECEIVED, "", 0
    row.save(update_fields=["state", "error", "attempts"])
    enqueue_on_commit("tickets.process_inbound", row.pk)
    return row


def inbound_stuck(older_than_seconds: int = 120):
    """Rows still `received` after a while: their Celery message was lost or is retrying."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return InboundMessage.objects.filter(
        state=InboundState.RECEIVED, received_at__lt=cutoff
    ).order_by("received_at")


def resolve_channel(kind: str, ref: Any = None, *, address_candidates=()) -> Channel | None:
    """The active channel of `kind` named by `ref` (id or name), else the one the email was
    addressed to, else the only active channel of that kind. None if none fits."""
    active = Channel.objects.filter(kind=kind, is_active=True)
    if ref not in (None, ""):
        text = str(ref)
        found = active.filter(pk=int(text)).first() if text.isdigit() else None
        return found or active.filter(name=text).first()
    if address_candidates:
        found = active.filter(address__in=list(address_candidates)).order_by("id").first()
        if found:
            return found
    only = list(active[:2])
    return only[0] if len(only) == 1 else None


@dataclass(frozen=True)
class TicketChannel:
    """Where a ticket opened through the API says it came from."""

    kind: str
    channel: Channel | None = None  # a configured channel named by id or name


def ticket_channel_named(value: str) -> TicketChannel | None:
    """A registered channel kind ("phone"), else the active configured channel with that id
    or name ("Support line"); None when it is neither."""
    if registry.find(value) is not None:
        return TicketChannel(kind=value)
    text = str(value)
    active = Channel.objects.filter(is_active=True)
    found = active.filter(pk=int(text)).first() if text.isdigit() else None
    found = found or active.filter(name=text).first()
    return TicketChannel(kind=found.kind, channel=found) if found else None
