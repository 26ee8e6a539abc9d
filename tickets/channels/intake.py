"""Raw-first intake, the one pipeline behind every door (API, anymail webhooks, IMAP).

1. `intake_store` writes the payload as an InboundMessage. The (channel, dedupe_key) unique
   constraint decides duplicates: a second delivery returns the existing row and changes
   nothing. Processing is queued on commit.
2. `intake_process` turns the row into a ticket or a message, in one transaction with the
   row's new state. A permanent error (bad payload) fails the row with its error; a transient
   one (database, network) leaves it `received` for the next retry, until the retries are
   spent. `inbound_reprocess` puts a failed row back through the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from helpdesk.errors import ConflictError
from helpdesk.queueing import enqueue_on_commit

from .. import services as ticket_services
from ..attachments import AttachmentInput
from ..models import ChannelKind, Message, Ticket
from .models import Channel, InboundDoor, InboundMessage, InboundState

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
) -> tuple[Ticket, Message]:
    """A new ticket from a channel, through tickets.services.ticket_create (so everything that
    listens to ticket.created, e.g. SLA clocks and the tier rule, sees it)."""
    integration = submitted_by if submitted_by is not None and submitted_by.is_integration else None
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
    )
    return ticket, Message.objects.filter(ticket=ticket).order_by("id").first()


def append_message(ticket: Ticket, **kwargs: Any) -> Message | None:
    """The customer's message on an existing ticket; None if the ticket is closed (final),
    in which case the caller opens a new ticket."""
    try:
        with transaction.atomic():
            return ticket_services.customer_message_add(ticket=ticket, **kwargs)
    except ConflictError:
        return None


def integration_of(inbound: InboundMessage):
    """The integration that delivered the payload (it may then read the customer), if any."""
    user = inbound.submitted_by
    return user if user is not None and user.is_integration else None


def _processors() -> dict[str, Callable[[InboundMessage], Outcome]]:
    from . import chat, email, phone, social

    return {
        ChannelKind.EMAIL: email.process,
        ChannelKind.CHAT: chat.process,
        ChannelKind.PHONE: phone.process,
        ChannelKind.SOCIAL: social.process,
    }


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
    concurrent deliveries of one payload cannot both get in."""
    dedupe_key = dedupe_key[:500]
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                channel=channel,
                dedupe_key=dedupe_key,
                kind=channel.kind,
                door=door,
                raw_bytes=raw_bytes,
                raw_json=raw_json,
                submitted_by=submitted_by,
            )
    except IntegrityError:
        return InboundMessage.objects.get(channel=channel, dedupe_key=dedupe_key), False
    from ..tasks import process_inbound

    enqueue_on_commit(process_inbound, row.pk)
    return row, True


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    return f"{type(exc).__name__}: {exc}"


def _permanent(exc: Exception) -> bool:
    """Bad input fails at once; anything else (database, network...) may pass on a retry."""
    from rest_framework.exceptions import ValidationError as ApiValidationError

    return isinstance(exc, (ValidationError, ApiValidationError, ConflictError))


def intake_process(inbound_id: int) -> InboundMessage:
    """Process one stored payload; safe to run twice (a finished row is left alone).

    Raises the error of a transient failure after recording it while attempts remain, so
    the Celery task retries; a permanent failure (or the last attempt) fails the row."""
    try:
        with transaction.atomic():
            row = (
                InboundMessage.objects.select_for_update()
                .select_related("channel")
                .get(pk=inbound_id)
            )
            if row.state != InboundState.RECEIVED:
                return row  # finished, or failed (waiting for a deliberate reprocess)
            row.attempts += 1
            try:
                with transaction.atomic():
                    outcome = _processors()[row.kind](row)
            except Ignored as ignored:
                row.state, row.error = InboundState.IGNORED, ignored.reason[:5000]
                row.classification = ignored.classification[:40]
                if ignored.effect is not None:
                    ignored.effect()
            else:
                row.state, row.error = InboundState.PROCESSED, ""
                row.ticket, row.message = outcome.ticket, outcome.message
            row.processed_at = timezone.now()
            row.save(
                update_fields=[
                    "state",
                    "error",
                    "classification",
                    "attempts",
                    "ticket",
                    "message",
                    "processed_at",
                ]
            )  # not the raw payload: it never changes
            return row
    except Exception as exc:
        row = _record_failure(inbound_id, exc, permanent=_permanent(exc))
        if row.state == InboundState.RECEIVED:
            raise  # more attempts are due: the task retries with backoff
        return row


@transaction.atomic
def _record_failure(inbound_id: int, exc: Exception, *, permanent: bool) -> InboundMessage:
    row = InboundMessage.objects.select_for_update().get(pk=inbound_id)
    row.attempts += 1
    row.error = _error_text(exc)[:5000]
    spent = row.attempts >= settings.INBOUND_MAX_RETRIES
    row.state = InboundState.FAILED if permanent or spent else InboundState.RECEIVED
    row.save(update_fields=["attempts", "error", "state"])
    logger.warning("inbound %s failed (%s): %s", inbound_id, row.state, row.error)
    return row


@transaction.atomic
def inbound_reprocess(inbound: InboundMessage) -> InboundMessage:
    """Put a failed (or stuck) row back to `received` and queue it, e.g. after a fix.
    Processed and ignored rows are final and left alone."""
    row = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if row.state in (InboundState.PROCESSED, InboundState.IGNORED):
        return row
    row.state, row.error, row.attempts = InboundState.RECEIVED, "", 0
    row.save(update_fields=["state", "error", "attempts"])
    from ..tasks import process_inbound

    enqueue_on_commit(process_inbound, row.pk)
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
