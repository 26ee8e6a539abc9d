"""Processing one stored payload: the kind's adapter (`process`) turns the row into a ticket or a
message, in one transaction with the row's new state.

A permanent error (bad payload) fails the row with its error; a transient one (database,
network) leaves it `received` for the next retry, until INBOUND_MAX_RETRIES are spent.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as ApiValidationError

from core import rows
from core.errors import ConflictError
from core.transactions import savepoints_joined

from . import registry
from .intake import Ignored
from .models import Channel, InboundMessage, InboundState

logger = logging.getLogger(__name__)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    return f"{type(exc).__name__}: {exc}"


def _permanent(exc: Exception) -> bool:
    """Bad input fails at once; anything else (database, network...) may pass on a retry."""
    return isinstance(exc, (ValidationError, ApiValidationError, ConflictError))


def intake_process(inbound_id: int) -> InboundMessage:
    """Process one stored payload; safe to run twice (a finished row is left alone).

    Raises the error of a transient failure after recording it while attempts remain, so
    the Celery task retries; a permanent failure (or the last attempt) fails the row.

    The adapter runs in the row's transaction without a savepoint of its own: a payload it
    ignores (Ignored, a few in a hundred) rolls the whole transaction back and is recorded
    in a fresh one, as a failure is, so the common case pays no savepoint round trips (nor
    do the customer and ticket services it calls: core.transactions.savepoints_joined)."""
    try:
        return _process(inbound_id)
    except Ignored as ignored:
        try:
            return _record_ignored(inbound_id, ignored)
        except Exception as exc:  # its effect failed: a failure like any other
            return _failed(inbound_id, exc)
    except Exception as exc:
        return _failed(inbound_id, exc)


@transaction.atomic
def _process(inbound_id: int) -> InboundMessage:
    row = _locked(inbound_id)
    if row.state != InboundState.RECEIVED:
        return row  # finished, or failed (waiting for a deliberate reprocess)
    row.attempts += 1
    # The kind's adapter: raw payload -> customer -> thread -> ticket or message. Any error
    # fails this whole transaction (recorded in a fresh one), so the services it calls join
    # it instead of each opening a savepoint (core.transactions).
    with savepoints_joined():
        outcome = registry.adapter(row.kind).process(row)
    row.state, row.error = InboundState.PROCESSED, ""
    row.ticket, row.message = outcome.ticket, outcome.message
    _finish(row)
    return row


def _failed(inbound_id: int, exc: Exception) -> InboundMessage:
    row = _record_failure(inbound_id, exc, permanent=_permanent(exc))
    if row.state == InboundState.RECEIVED:
        raise exc  # more attempts are due: the task retries with backoff
    return row


def _locked(inbound_id: int, *, payload: bool = True) -> InboundMessage:
    """The row with its channel, both locked FOR UPDATE (as select_for_update() with
    select_related locks every joined row). With its payload: the hot path of every
    message, in SQL written once (core.rows: the ORM's compiling cost as much as the
    query); without: the rarer records of an ignored payload."""
    if not payload:
        locked = InboundMessage.objects.select_for_update().select_related("channel")
        return locked.defer("raw_bytes", "raw_json").get(pk=inbound_id)
    with connection.cursor() as cursor:
        cursor.execute(_locked_sql(), [inbound_id])
        found = cursor.fetchone()
    if found is None:
        raise InboundMessage.DoesNotExist(f"InboundMessage {inbound_id} does not exist.")
    row, channel = rows.split(found, InboundMessage, Channel)
    rows.cache_related(row, "channel", channel)
    return row


@functools.cache
def _locked_sql() -> str:
    select = f"{rows.columns(InboundMessage, 'i')}, {rows.columns(Channel, 'c')}"
    joined = f"{rows.table(InboundMessage)} i JOIN {rows.table(Channel)} c ON c.id = i.channel_id"
    return f"SELECT {select} FROM {joined} WHERE i.id = %s{rows.for_update()}"  # noqa: S608


def _finish(row: InboundMessage) -> None:
    """Store the row's outcome in one UPDATE (not the raw payload: it never changes)."""
    rows.update(
        row,
        state=row.state,
        error=row.error,
        classification=row.classification,
        attempts=row.attempts,
        ticket_id=row.ticket_id,
        message_id=row.message_id,
        processed_at=timezone.now(),
    )


@transaction.atomic
def _record_ignored(inbound_id: int, ignored: Ignored) -> InboundMessage:
    """An ignored payload: nothing the adapter wrote survives (its transaction rolled back),
    only the row's state and the Ignored's effect (a hard bounce marks an address)."""
    row = _locked(inbound_id, payload=False)
    if row.state != InboundState.RECEIVED:
        return row  # another worker finished it meanwhile
    row.attempts += 1
    row.state, row.error = InboundState.IGNORED, ignored.reason[:5000]
    row.classification = ignored.classification[:40]
    if ignored.effect is not None:
        ignored.effect()
    _finish(row)
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
