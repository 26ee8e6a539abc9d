"""The audit trail, for the changes other apps make or see (SLA steps, merges, rules), and the
SLA fields the engine keeps on the ticket row: one writer for both."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import EllipsisType
from typing import Any

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


def _audit_event(entry: AuditEntry) -> TicketEvent:
    if entry.kind not in EventKind.values:
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
        Ticket.objects.filter(pk=ticket.pk).update(**values)
        for name, value in values.items():
            setattr(ticket, name, value)


def tickets_next_due_set(*, tickets: Iterable[Ticket]) -> int:
    """ticket_sla_fields_set(next_due_at=...) for many tickets at once: writes each ticket's
    in-memory `next_due_at` (set by the SLA engine) in one UPDATE. Derived state: no version
    bump, no audit. Returns how many tickets were written."""
    tickets = list(tickets)
    if tickets:
        Ticket.objects.bulk_update(tickets, ["next_due_at"])
    return len(tickets)
