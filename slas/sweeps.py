"""Warnings, breaches and escalations: sweeps over due clocks, each step applied once.

Each sweep reads one partial index (see SlaClock.Meta.indexes) through helpdesk.sweeps.sweep_due
(SELECT ... FOR UPDATE SKIP LOCKED, batches, a savepoint per row). The lock taken is the
*ticket's* row: every change to a ticket's clocks happens under it (ticket services lock the
ticket first), so a sweep skips tickets a request is working on, never deadlocks with one, and
two sweepers never hold two clocks of one ticket. Under that lock the handler re-reads the clock
and re-checks that the step is still due. The step's state (warned_at, breached_at,
escalation_level) is written on the clock in the same transaction as the audit event, so no step
is applied twice and a killed worker loses nothing (its transaction rolls back; the next sweep
takes the rows).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.utils import timezone

from helpdesk import events
from helpdesk.queueing import enqueue_on_commit
from helpdesk.sweeps import sweep_due
from tickets.models import Priority, TicketEvent

from .models import SlaClock

logger = logging.getLogger(__name__)


WARN_DUE = {
    "warned_at__isnull": True,
    "breached_at__isnull": True,
    "fulfilled_at__isnull": True,
    "paused_since__isnull": True,
}
BREACH_DUE = {
    "breached_at__isnull": True,
    "fulfilled_at__isnull": True,
    "paused_since__isnull": True,
}


def _due(**filters) -> object:
    return SlaClock.objects.select_related("ticket").filter(**filters)


def _still_due(clock: SlaClock, **filters) -> SlaClock | None:
    """The clock as committed now (we hold its ticket's lock), if the step is still due."""
    return (
        SlaClock.objects.select_related("ticket", "policy__escalation_team")
        .filter(pk=clock.pk, **filters)
        .first()
    )


def _sweep(due, handler, conditions: dict, batch_size: int) -> int:
    def handle(clock: SlaClock) -> None:
        fresh = _still_due(clock, **conditions)
        if fresh is not None:
            handler(fresh)

    return sweep_due(due, handle=handle, batch_size=batch_size, lock_of=("ticket",))


def _notify_on_commit(clock: SlaClock, kind: str) -> None:
    from .tasks import sla_notify

    enqueue_on_commit(sla_notify, clock.pk, kind)


def _audit(clock: SlaClock, kind: str, now: datetime, **extra) -> None:
    TicketEvent.objects.create(
        ticket_id=clock.ticket_id,
        kind=kind,
        after={
            "metric": clock.metric,
            "policy": str(clock.policy),
            "due_at": clock.due_at.isoformat(),
            "at": now.isoformat(),
            **extra,
        },
    )


def _apply_warning(clock: SlaClock, *, now: datetime) -> None:
    clock.warned_at = now
    clock.save(update_fields=["warned_at", "updated_at"])
    _audit(clock, "sla.warning", now)
    events.publish(
        events.SLA_WARNING,
        ticket=clock.ticket,
        data={"metric": clock.metric, "due_at": clock.due_at.isoformat(), "clock": clock.pk},
    )
    _notify_on_commit(clock, "warning")


def _apply_breach(clock: SlaClock, *, now: datetime) -> None:
    if clock.warned_at is None:
        # Warning and breach came due together (or another sweeper is still on the warnings):
        # the warning is still recorded, first, so every breach was warned about exactly once.
        _apply_warning(clock, now=now)
    clock.breached_at = now
    first_step = clock.policy.escalations.order_by("level").first()
    if first_step is not None:
        clock.next_escalation_at = now + timedelta(minutes=first_step.after_minutes)
    clock.save(update_fields=["breached_at", "next_escalation_at", "updated_at"])
    _audit(clock, "sla.breached", now)
    events.publish(
        events.SLA_BREACHED,
        ticket=clock.ticket,
        data={"metric": clock.metric, "due_at": clock.due_at.isoformat(), "clock": clock.pk},
    )
    _notify_on_commit(clock, "breach")


def _apply_escalation(clock: SlaClock, *, now: datetime) -> None:
    """Apply the next escalation step: raise priority and/or move to the escalation team."""
    from tickets.services import ticket_update

    steps = list(clock.policy.escalations.order_by("level"))
    level = clock.escalation_level
    if clock.fulfilled_at is not None or level >= len(steps):
        SlaClock.objects.filter(pk=clock.pk).update(next_escalation_at=None)
        return
    step = steps[level]
    ticket = clock.ticket
    before = {"priority": Priority(ticket.priority).label, "team": ticket.team_id}
    changes: dict = {}
    if step.raise_priority and ticket.priority < Priority.URGENT:
        changes["priority"] = ticket.priority + 1
    team = clock.policy.escalation_team
    if step.move_to_escalation_team and team is not None and ticket.team_id != team.pk:
        changes["team"] = team
    if changes:
        # Through the ticket service: audit events, version bump, and the SLA handler
        # recomputing due times for the new priority (this clock included, same transaction).
        ticket = ticket_update(ticket=ticket, actor=None, **changes)
    following = steps[level + 1] if level + 1 < len(steps) else None
    next_at = None
    if following is not None:
        next_at = max(now, clock.breached_at + timedelta(minutes=following.after_minutes))
    SlaClock.objects.filter(pk=clock.pk).update(
        escalation_level=level + 1, next_escalation_at=next_at
    )
    _audit(
        clock,
        "sla.escalated",
        now,
        level=level + 1,
        before=before,
        priority=Priority(ticket.priority).label,
        team=ticket.team_id,
    )
    _notify_on_commit(clock, "escalation")


def warnings_apply(*, now: datetime, batch_size: int = 100) -> int:
    conditions = {"warn_at__lte": now, **WARN_DUE}
    due = _due(**conditions).order_by("warn_at")
    return _sweep(due, partial(_apply_warning, now=now), conditions, batch_size)


def breaches_apply(*, now: datetime, batch_size: int = 100) -> int:
    conditions = {"due_at__lte": now, **BREACH_DUE}
    due = _due(**conditions).order_by("due_at")
    return _sweep(due, partial(_apply_breach, now=now), conditions, batch_size)


def escalations_apply(*, now: datetime, batch_size: int = 100) -> int:
    conditions = {"next_escalation_at__lte": now}
    due = _due(**conditions).order_by("next_escalation_at")
    return _sweep(due, partial(_apply_escalation, now=now), conditions, batch_size)


def sla_sweep(*, now: datetime | None = None, batch_size: int = 100) -> dict[str, int]:
    """One pass of the watcher: warnings, then breaches, then escalations that came due."""
    now = now or timezone.now()
    done = {
        "warnings": warnings_apply(now=now, batch_size=batch_size),
        "breaches": breaches_apply(now=now, batch_size=batch_size),
        "escalations": escalations_apply(now=now, batch_size=batch_size),
    }
    if any(done.values()):
        logger.info("sla sweep: %s", done)
    return done
