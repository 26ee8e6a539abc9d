"""Changing many tickets at once, set-based: what ticket_update does for one ticket's status,
for a batch (a time-rule sweep closing the tickets solved for four days), in a constant number
of statements: one locking read, one UPDATE, one audit INSERT, and one `ticket.updated` per
ticket published with core.events.publish_many (subscribers with a batch form take them all
in one call). Same invariants as ticket_update: every change audited, the version bumped,
the transition table asked first, closed tickets never moved."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, When
from django.utils import timezone

from core import events
from core.errors import ConflictError

from ..models import EventKind, Ticket, TicketEvent
from ..status import Status, TransitionError, check_transition


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


@transaction.atomic
def tickets_status_set(*, ticket_ids: Iterable[int], status: str, actor=None) -> list[Ticket]:
    """Move these tickets to `status`; returns the tickets that changed (fresh, locked, with
    requester and organization), in id order. Tickets already there are left alone (no audit,
    no event), as ticket_update leaves them. A closed ticket (ConflictError) or a transition
    the table refuses (ValidationError) fails the whole call: nothing is written.

    Side effects, as for ticket_update: one STATUS_CHANGED audit event per ticket, the version
    bumped, one `ticket.updated` event per ticket (changes {"status": (before, after)}), all in
    the caller's transaction."""
    locked = list(
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "organization")
        .filter(pk__in=list(ticket_ids))
        .order_by("id")
    )
    _check(locked, status)
    moving = [ticket for ticket in locked if ticket.status != status]
    if not moving:
        return []
    now = timezone.now()
    Ticket.objects.filter(pk__in=[t.pk for t in moving]).update(**_moved_fields(status, now))
    befores = {ticket.pk: ticket.status for ticket in moving}
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=ticket,
            kind=EventKind.STATUS_CHANGED,
            actor_user=actor,
            before={"status": befores[ticket.pk]},
            after={"status": status},
        )
        for ticket in moving
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
