"""Writing, attempting and retrying outbox rows: the only code that changes them.

An attempt is claim -> send -> record:
- claim (row locked with SKIP LOCKED, committed at once): state `sending`, attempts + 1,
  next_attempt_at = now + OUTBOX_LEASE_SECONDS;
- send, holding no lock and no transaction (a slow SMTP server blocks nobody);
- record (row locked again, only if it is still this claim): `sent` with the provider id; a
  permanent error -> `failed`; a transient one -> `queued` again after core.retry.backoff,
  or `failed` once OUTBOX_MAX_ATTEMPTS attempts were made.
A worker killed between claim and record leaves a `sending` row whose lease runs out: the
sweep takes it again. So delivery is at least once; the envelope (Message-ID, delivery id) is
the same on every attempt so the receiver can tell a repeat.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone

from core.queueing import enqueue_on_commit
from core.retry import PermanentError, backoff
from core.sweeps import sweep_due

from . import transports
from .models import OutboxMessage, State

logger = logging.getLogger(__name__)

DUE_STATES = (State.QUEUED, State.SENDING)


def outbox_enqueue(
    *,
    transport: str,
    purpose: str,
    recipient: str,
    payload: dict,
    channel: str = "",
    message=None,
    source: str = "",
    provider_id: str = "",
) -> OutboxMessage:
    """Write a queued row in the caller's transaction; one attempt is queued after commit,
    the sweep does the rest. Raises KeyError for a transport nobody registered."""
    transports.transport(transport)
    row = OutboxMessage.objects.create(
        transport=transport,
        purpose=purpose,
        recipient=recipient[:1000],
        payload=payload,
        channel=channel,
        message=message,
        source=source,
        provider_id=provider_id,
        next_attempt_at=timezone.now(),
    )
    enqueue_on_commit("outbox.send", row.pk)
    return row


def outbox_enqueue_many(rows: list[OutboxMessage], *, per_task: int = 1) -> list[OutboxMessage]:
    """outbox_enqueue for many unsaved rows (a batch of events): one INSERT, one attempt each
    queued after commit. `per_task` > 1 queues the attempts `per_task` rows to a Celery
    message (`outbox.send_many`): a sweep queuing a thousand emails then pays fifty broker
    round trips, not a thousand (the outbox sweep still takes any row a message lost)."""
    if not rows:
        return []
    now = timezone.now()
    for row in rows:
        transports.transport(row.transport)
        row.recipient = row.recipient[:1000]
        row.next_attempt_at = now
    created = _insert(rows, now)
    if per_task <= 1:
        for row in created:
            enqueue_on_commit("outbox.send", row.pk)
        return created
    ids = [row.pk for row in created]
    for start in range(0, len(ids), per_task):
        enqueue_on_commit("outbox.send_many", ids[start : start + per_task])
    return created


def _insert(rows: list[OutboxMessage], now) -> list[OutboxMessage]:
    """bulk_create(rows) as one INSERT ... SELECT over a single jsonb parameter (on
    PostgreSQL): Django 5.2's bulk_create sends every column as an array that psycopg builds in
    Python, escaping each quote of each payload's JSON one by one (a third of a follow-up
    sweep's CPU for 1,000 emails); json.dumps does the whole batch in C. The rows keep their
    order: the SELECT is ordered, so the ids the sequence gives are too."""
    connection = connections[OutboxMessage.objects.db]
    if connection.vendor != "postgresql":
        return OutboxMessage.objects.bulk_create(rows)
    fields = [field for field in OutboxMessage._meta.concrete_fields if not field.primary_key]
    for row in rows:
        row.created_at = row.updated_at = now
    records = json.dumps(
        [{field.column: _jsonable(getattr(row, field.attname)) for field in fields} for row in rows]
    )
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = OutboxMessage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608 (model's names)
            "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS r(doc, n) "
            f"CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, r.doc) AS v "
            "ORDER BY r.n RETURNING id",
            [records],
        )
        ids = sorted(pk for (pk,) in cursor.fetchall())
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, connection.alias
    return rows


def _jsonable(value):
    """A column's value as jsonb_populate_record reads it (timestamps as ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime) else value


def outbox_record_undeliverable(
    *, purpose: str, reason: str, message=None, source: str = "", channel: str = ""
) -> OutboxMessage:
    """A message that nothing can carry, recorded as such (never attempted, never sent)."""
    return OutboxMessage.objects.create(
        transport="",
        purpose=purpose,
        channel=channel,
        message=message,
        source=source,
        state=State.UNDELIVERABLE,
        error=reason,
    )


def due_rows():
    return OutboxMessage.objects.filter(
        state__in=DUE_STATES, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at", "id")


def _claim(row: OutboxMessage) -> OutboxMessage:
    """The row is locked by the caller: mark it sending for one lease."""
    row.state = State.SENDING
    row.attempts += 1
    row.next_attempt_at = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    row.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    return row


def _finish(row: OutboxMessage, *, state: str, error: str = "", status=None) -> None:
    row.state = state
    row.error = error[:2000]
    row.last_status = status
    row.next_attempt_at = None
    if state == State.SENT:
        row.sent_at = timezone.now()
    row.save()
    for listener in transports.OUTCOME_LISTENERS:
        listener(row)
    transports.changed(row)


def _record(claimed: OutboxMessage, outcome: transports.Sent | Exception) -> OutboxMessage:
    with transaction.atomic():
        # The message with it (not locked): what the change listeners name (live.handlers).
        row = (
            OutboxMessage.objects.select_related("message")
            .select_for_update(of=("self",))
            .get(pk=claimed.pk)
        )
        if row.state != State.SENDING or row.attempts != claimed.attempts:
            return row  # the lease ran out and another attempt took over
        if isinstance(outcome, transports.Sent):
            row.provider_id = outcome.provider_id or row.provider_id
            _finish(row, state=State.SENT, status=outcome.status)
            return row
        status = getattr(outcome, "status", None)
        # Our transports' errors read as they are ("HTTP 410", "recipient refused: ..."); an
        # unexpected exception keeps its type (ConnectionRefusedError: ...).
        error = (
            str(outcome) if hasattr(outcome, "status") else f"{type(outcome).__name__}: {outcome}"
        )
        if isinstance(outcome, PermanentError) or row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            _finish(row, state=State.FAILED, error=error, status=status)
            return row
        row.state = State.QUEUED
        row.error, row.last_status = error[:2000], status
        # A provider that says when to come back (Telegram's and Twilio's 429) is believed.
        wait = timedelta(seconds=getattr(outcome, "retry_after", None) or 0)
        row.next_attempt_at = timezone.now() + max(backoff(row.attempts), wait)
        row.save()
        transports.changed(row)
        return row


def _attempt(claimed: OutboxMessage) -> OutboxMessage:
    try:
        outcome: transports.Sent | Exception = transports.transport(claimed.transport)(claimed)
    except Exception as exc:
        logger.info("outbox %s attempt %s failed: %s", claimed.pk, claimed.attempts, exc)
        outcome = exc
    return _record(claimed, outcome)


def outbox_send_now(row_id: int) -> OutboxMessage | None:
    """The attempt queued right after commit: claims the row if it is due and nobody holds
    it, then sends. None when there was nothing to do."""
    with transaction.atomic():
        row = due_rows().select_for_update(skip_locked=True).filter(pk=row_id).first()
        if row is None:
            return None
        _claim(row)
    return _attempt(row)


def outbox_sweep(*, batch_size: int = 20, max_batches: int = 10) -> int:
    """The one sweep: claim a batch of due rows (SKIP LOCKED), send them, again until nothing
    is due or max_batches. Small batches keep each claim well inside its lease."""
    done = 0
    for _ in range(max_batches):
        claimed: list[OutboxMessage] = []
        sweep_due(
            due_rows(),
            handle=lambda row, claimed=claimed: claimed.append(_claim(row)),
            batch_size=batch_size,
            max_batches=1,
        )
        for row in claimed:
            _attempt(row)
        done += len(claimed)
        if len(claimed) < batch_size:
            break
    return done


PROVIDER_STATUSES = frozenset({"delivered", "read", "failed"})


@transaction.atomic
def outbox_provider_status(
    *, transport: str, provider_id: str, status: str, error: str = "", at=None
) -> int:
    """Apply what a provider reports about a row it accepted (its id is the row's
    provider_id): delivered and read are noted (read implies delivered); failed marks the row
    failed with the provider's reason and tells the listeners, as a final failure of ours
    would. Statuses arrive late, twice and out of order: a status never moves a row back
    (read stays read; failed after read is ignored). Returns the rows changed (0 for an
    unknown id: a provider's status for something we did not send is not an error)."""
    if status not in PROVIDER_STATUSES or not provider_id:
        return 0
    at = at or timezone.now()
    changed = 0
    rows = (
        OutboxMessage.objects.select_related("message")
        .select_for_update(of=("self",))
        .filter(transport=transport, provider_id=provider_id)
    )
    for row in rows:
        if status == "failed":
            if row.read_at or row.state == State.FAILED:
                continue
            _finish(row, state=State.FAILED, error=f"provider: {error or 'failed'}")
            changed += 1
            continue
        fields = []
        if row.delivered_at is None:
            row.delivered_at = at
            fields.append("delivered_at")
        if status == "read" and row.read_at is None:
            row.read_at = at
            fields.append("read_at")
        if fields:
            row.save(update_fields=[*fields, "updated_at"])
            transports.changed(row)
            changed += 1
    return changed


@transaction.atomic
def outbox_retry(*, row: OutboxMessage) -> OutboxMessage:
    """Send a failed row again (after someone fixed what made it fail): queued, due now, with
    a fresh set of attempts; the same envelope, so the same Message-ID / delivery id."""
    row = OutboxMessage.objects.select_for_update().get(pk=row.pk)
    if row.state != State.FAILED:
        raise ValidationError({"state": ["Only a failed delivery can be retried."]})
    row.state = State.QUEUED
    row.attempts = 0
    row.next_attempt_at = timezone.now()
    row.save()
    transports.changed(row)
    enqueue_on_commit("outbox.send", row.pk)
    return row
