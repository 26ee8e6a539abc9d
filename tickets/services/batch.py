"""Changing many tickets at once, set-based: what ticket_update does for one ticket's status,
for a batch (a time-rule sweep closing the tickets solved for four days), in a constant number
of statements: one locking read, one UPDATE, an audit INSERT per distinct content (a rule's
firing, the move from each status), and one `ticket.updated` per ticket published with
core.events.publish_many (subscribers with a batch form take them all in one call). Same
invariants as ticket_update: every change audited, the version bumped, the transition table
asked first, closed tickets never moved."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, When
from django.utils import timezone

from core import events
from core.errors import ConflictError

from ..models import EventKind, Ticket
from ..status import Status, TransitionError, check_transition
from .audit import AuditEntry, audit_record_alike


def _moved_fields(target: str, now) -> dict:
    """The columns a move to `target` writes besides status (as _apply_status does)."""
    values: dict = {"status": target, "version": F("version") + 1, "updated_at": now}
    if target == Status.SOLVED:
        values["solved_at"] = now
    elif target == Status.CLOSED:
        values["closed_at"] = now
    else:  # leaving solved (a reopen) forgets when it was solved; SQL reads the old status
        values["solved_at"] = Case(When(status=Status.SOLVED, then=None), default=F("solved_at"))
    return values


def _check(tickets: list[Ticket], target: str) -> None:
    for ticket in tickets:
        if ticket.status == Status.CLOSED:
            raise ConflictError(
                f"Ticket #{ticket.pk} is closed: a closed ticket is final and cannot be changed.",
                code="closed",
            )
        try:
            check_transition(ticket.status, target)
        except TransitionError as exc:
            raise ValidationError({"status": [f"Ticket #{ticket.pk}: {exc}"]}) from exc


def _in_memory(ticket: Ticket, target: str, now) -> None:
    before = ticket.status
    ticket.status, ticket.version, ticket.updated_at = target, ticket.version + 1, now
    if target == Status.SOLVED:
        ticket.solved_at = now
    elif target == Status.CLOSED:
        ticket.closed_at = now
    elif before == Status.SOLVED:
        ticket.solved_at = None


def _locked(tickets: list[Ticket]) -> None:
    """Lock the rows and bring what this service decides on (status, version) up to date on
    the caller's objects (one statement; the objects keep what they loaded with them)."""
    current = dict(
        (pk, (status, version))
        for pk, status, version in Ticket.objects.select_for_update()
        .filter(pk__in=[t.pk for t in tickets])
        .order_by("id")
        .values_list("id", "status", "version")
    )
    for ticket in tickets:
        ticket.status, ticket.version = current[ticket.pk]


@transaction.atomic
def tickets_status_set(
    *,
    tickets: Iterable[Ticket],
    status: str,
    actor=None,
    audit_first: Iterable[AuditEntry] = (),
) -> list[Ticket]:
    """Move these tickets to `status`; returns those that changed, in the order given.
    Tickets already there are left alone (no audit, no event), as ticket_update leaves them.
    A closed ticket (ConflictError) or a transition the table refuses (ValidationError) fails
    the whole call: nothing is written. `audit_first`: audit events to record before the
    change (a rule's firing, recorded before what it did; at most one per ticket).

    Side effects, as for ticket_update: one STATUS_CHANGED audit event per ticket, the version
    bumped, one `ticket.updated` event per ticket (changes {"status": (before, after)}), all in
    the caller's transaction. The objects given are updated in memory and are what the
    events carry (load them with what subscribers read: requester, organization)."""
    tickets = list(tickets)
    if not tickets:
        return []
    _locked(tickets)
    _check(tickets, status)
    moving = [ticket for ticket in tickets if ticket.status != status]
    now = timezone.now()
    if moving:
        Ticket.objects.filter(pk__in=[t.pk for t in moving]).update(**_moved_fields(status, now))
    befores = {ticket.pk: ticket.status for ticket in moving}
    audit_record_alike(
        entries=[
            *audit_first,
            *(
                AuditEntry(
                    ticket.pk,
                    EventKind.STATUS_CHANGED,
                    after={"status": status},
                    before={"status": befores[ticket.pk]},
                    actor_user=actor,
                )
                for ticket in moving
            ),
        ]
    )
    for ticket in moving:
        _in_memory(ticket, status, now)
    events.publish_many(
        events.TICKET_UPDATED,
        [
            {
                "ticket": ticket,
                "actor": actor,
                "changes": {"status": (befores[ticket.pk], status)},
                "data": {},
            }
            for ticket in moving
        ],
    )
    return moving
