"""The audit trail, for the changes other apps make or see (SLA steps, merges, rules), and the
SLA fields the engine keeps on the ticket row: one writer for both."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import EllipsisType
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from core import rows
from core.unset import UNSET
from customers.models import Customer

from ..models import (
    EventKind,
    Ticket,
    TicketEvent,
)

# --- the audit trail, for changes other apps make or see ----------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    """One audit event for audit_record_many: on which ticket, what (an EventKind), by whom."""

    ticket_id: int
    kind: str
    after: dict = field(default_factory=dict)
    before: dict = field(default_factory=dict)
    actor_user: Any = None
    actor_customer: Customer | None = None


_KINDS = frozenset(EventKind.values)  # .values builds a list on each call: a batch asks 1,000 times


def _audit_event(entry: AuditEntry) -> TicketEvent:
    if entry.kind not in _KINDS:
        raise ValueError(f"{entry.kind!r} is not a tickets.models.EventKind: add it there.")
    return TicketEvent(
        ticket_id=entry.ticket_id,
        kind=entry.kind,
        actor_user=entry.actor_user,
        actor_customer=entry.actor_customer,
        before=entry.before,
        after=entry.after,
    )


def audit_record(
    *,
    ticket: Ticket,
    kind: str,
    after: dict | None = None,
    before: dict | None = None,
    actor_user=None,
    actor_customer: Customer | None = None,
) -> TicketEvent:
    """Record one audit event on `ticket` (an SLA step, a merge) in the caller's transaction.

    Invariant: every row of the audit trail is written here or by the ticket services above,
    and its kind is an EventKind (ValueError otherwise: a programming error). One INSERT.
    """
    entry = AuditEntry(ticket.pk, kind, after or {}, before or {}, actor_user, actor_customer)
    event = _audit_event(entry)
    event.save()
    return event


def audit_record_many(*, entries: Iterable[AuditEntry]) -> list[TicketEvent]:
    """audit_record for many tickets at once, in one INSERT (a sweep's batch, a merge)."""
    events_ = [_audit_event(entry) for entry in entries]
    return TicketEvent.objects.bulk_create(events_) if events_ else []


# One audit event per ticket id, all with the same content, in the ids' order: the statement
# carries one array of ids instead of one array per column (a batch of 500 firings costs a
# few milliseconds, not the half second of building and binding 500 rows of JSON).
_INSERT_ALIKE = (
    "INSERT INTO tickets_ticketevent (ticket_id, kind, actor_user_id, actor_customer_id, "
    "before, after, created_at) "
    "SELECT v.ticket_id, %s, %s, %s, %s::jsonb, %s::jsonb, %s "
    "FROM unnest(%s::bigint[]) WITH ORDINALITY AS v(ticket_id, n) ORDER BY v.n"
)


def audit_record_alike(*, entries: Iterable[AuditEntry]) -> int:
    """audit_record_many for entries that mostly say the same thing (a rule's firing on a
    batch of tickets, their status change): one INSERT per distinct content (kind, before,
    after, actor), the rows of each in the order given; contents in order of first appearance.
    For one entry per ticket (a ticket's entries of different contents would be recorded
    content by content). Returns how many rows were written."""
    groups: dict[str, tuple[AuditEntry, list[int]]] = {}
    for entry in entries:
        if entry.kind not in _KINDS:
            raise ValueError(f"{entry.kind!r} is not a tickets.models.EventKind: add it there.")
        actors = [_pk(entry.actor_user), _pk(entry.actor_customer)]
        key = json.dumps(
            [entry.kind, entry.before, entry.after, actors], sort_keys=True, cls=DjangoJSONEncoder
        )
        groups.setdefault(key, (entry, []))[1].append(entry.ticket_id)
    now = timezone.now()
    with connection.cursor() as cursor:
        for entry, ticket_ids in groups.values():
            cursor.execute(
                _INSERT_ALIKE,
                [
                    entry.kind,
                    _pk(entry.actor_user),
                    _pk(entry.actor_customer),
                    json.dumps(entry.before, cls=DjangoJSONEncoder),
                    json.dumps(entry.after, cls=DjangoJSONEncoder),
                    now,
                    ticket_ids,
                ],
            )
    return sum(len(ids) for _, ids in groups.values())


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


def ticket_sla_fields_set(
    *,
    ticket: Ticket,
    next_due_at: datetime | EllipsisType | None = UNSET,
    outside_plan: bool | EllipsisType = UNSET,
) -> None:
    """Set what the SLA engine keeps on a ticket (the queue's `next_due_at`, the outside-plan
    flag) in one UPDATE, in the caller's transaction (the SLA handlers run in the ticket
    service's). Derived state, not someone's change: no version bump, and the audit event (if
    any) is the caller's to record."""
    values = {
        name: value
        for name, value in (("next_due_at", next_due_at), ("outside_plan", outside_plan))
        if value is not UNSET
    }
    if values:
        rows.update(ticket, **values)


def tickets_next_due_set(*, tickets: Iterable[Ticket]) -> int:
    """ticket_sla_fields_set(next_due_at=...) for many tickets at once: writes each ticket's
    in-memory `next_due_at` (set by the SLA engine) in one UPDATE. Derived state: no version
    bump, no audit. Returns how many tickets were written."""
    tickets = list(tickets)
    if tickets:
        Ticket.objects.bulk_update(tickets, ["next_due_at"])
    return len(tickets)
