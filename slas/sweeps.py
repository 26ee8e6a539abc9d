"""Warnings, breaches and escalations: sweeps over due clocks, each step applied once.

Each sweep reads one partial index (see SlaClock.Meta.indexes) through core.sweeps.sweep_due
(SELECT ... FOR UPDATE SKIP LOCKED, batches). Warnings and breaches are applied a batch at a
time (set-based claim and audit; if a batch fails, its rows are retried as batches of one:
there is one code path per step); escalations, which go through the ticket service, one row
at a time. The lock taken is the
*ticket's* row: every change to a ticket's clocks happens under it (ticket services lock the
ticket first), so a sweep skips tickets a request is working on, never deadlocks with one, and
two sweepers never hold two clocks of one ticket. Under that lock the handler records the step
with an UPDATE that re-checks the step is still due (a conditional claim), and only if that
UPDATE changed the row does it write the audit event and publish. The step's state (warned_at,
breached_at, escalation_level) is written on the clock in the same transaction as the audit
event, so no step is applied twice and a killed worker loses nothing (its transaction rolls
back; the next sweep takes the rows).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from core import events
from core.queueing import enqueue_on_commit, send
from core.sweeps import sweep_due
from tickets import services as ticket_services
from tickets.models import EventKind, Priority, Team, Ticket
from tickets.services import AuditEntry

from .models import EscalationStep, SlaClock

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
    return SlaClock.objects.select_related("ticket", "policy").filter(**filters)


@dataclass
class _Pass:
    """What one sweep pass shares between rows: escalation steps per policy version (read
    once; versions never change) and the notifications to queue once the rows committed."""

    steps_cache: dict[int, list[EscalationStep]] = field(default_factory=dict)
    notifications: list[tuple[int, str]] = field(default_factory=list)
    # Inside an outer transaction (a caller's atomic block) our batches commit only with it,
    # after this pass returns: then each notification is queued by its own on_commit.
    deferred: bool = field(default_factory=lambda: transaction.get_connection().in_atomic_block)

    def steps(self, policy_id: int) -> list[EscalationStep]:
        if policy_id not in self.steps_cache:
            self.steps_cache[policy_id] = list(
                EscalationStep.objects.filter(policy_id=policy_id).order_by("level")
            )
        return self.steps_cache[policy_id]

    def notify(self, clock: SlaClock, kind: str) -> None:
        """After the row's batch commits (never for a step that rolled back)."""
        if self.deferred:
            enqueue_on_commit("slas.notify", [(clock.pk, kind)])
        else:
            transaction.on_commit(partial(self.notifications.append, (clock.pk, kind)))

    def flush(self) -> None:
        """One message for the pass's notifications instead of one broker round trip each."""
        if self.notifications:
            send("slas.notify", self.notifications)
            self.notifications = []


def _audit_entry(clock: SlaClock, kind: str, now: datetime, **extra) -> AuditEntry:
    return AuditEntry(
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


def _event_data(clock: SlaClock) -> dict:
    """What sla.warning / sla.breached carry about the clock."""
    return {"metric": clock.metric, "due_at": clock.due_at.isoformat(), "clock": clock.pk}


def _claim(clocks: list[SlaClock], conditions: dict, **values) -> list[SlaClock]:
    """Record a step on the clocks still due, as committed now, in one UPDATE: we hold their
    tickets' locks, so nobody changes them meanwhile, but the rows we selected may predate a
    commit that happened while we waited, so the condition is re-checked."""
    if len(clocks) == 1:  # the conditional UPDATE alone says whether it was still due
        changed = SlaClock.objects.filter(pk=clocks[0].pk, **conditions).update(**values)
        return clocks if changed else []
    still_due = set(
        SlaClock.objects.filter(pk__in=[c.pk for c in clocks], **conditions).values_list(
            "pk", flat=True
        )
    )
    SlaClock.objects.filter(pk__in=still_due).update(**values)
    return [clock for clock in clocks if clock.pk in still_due]


def _apply_warnings(clocks: list[SlaClock], *, now: datetime, run: _Pass) -> None:
    """Warn about the clocks still due for it: one claim, one audit INSERT for the batch."""
    claimed = _claim(clocks, {"warn_at__lte": now, **WARN_DUE}, warned_at=now, updated_at=now)
    ticket_services.audit_record_many(
        entries=[_audit_entry(clock, EventKind.SLA_WARNING, now) for clock in claimed]
    )
    for clock in claimed:
        clock.warned_at = now
        events.publish(events.SLA_WARNING, ticket=clock.ticket, data=_event_data(clock))
        run.notify(clock, "warning")


def _apply_breaches(clocks: list[SlaClock], *, now: datetime, run: _Pass) -> None:
    """Breach the clocks still due for it (warning first those not yet warned, so every breach
    was warned about exactly once): a thousand due clocks cost tens of statements plus what
    subscribers to sla.breached write, instead of a few statements per clock."""
    unwarned = [clock for clock in clocks if clock.warned_at is None]
    if unwarned:
        _apply_warnings(unwarned, now=now, run=run)
    by_next_at: dict[datetime | None, list[SlaClock]] = {}
    for clock in clocks:
        policy_steps = run.steps(clock.policy_id)
        next_at = now + timedelta(minutes=policy_steps[0].after_minutes) if policy_steps else None
        by_next_at.setdefault(next_at, []).append(clock)
    claimed: list[SlaClock] = []
    for next_at, group in by_next_at.items():
        claimed += _claim(
            group,
            {"due_at__lte": now, **BREACH_DUE},
            breached_at=now,
            next_escalation_at=next_at,
            updated_at=now,
        )
    ticket_services.audit_record_many(
        entries=[_audit_entry(clock, EventKind.SLA_BREACHED, now) for clock in claimed]
    )
    with events.batched():  # subscribers that can take them all at once do
        for clock in claimed:
            events.publish(events.SLA_BREACHED, ticket=clock.ticket, data=_event_data(clock))
            run.notify(clock, "breach")


def _one_of(apply, clock: SlaClock, *, now: datetime, run: _Pass) -> None:
    apply([clock], now=now, run=run)


def _apply_escalation(clock: SlaClock, *, now: datetime, run: _Pass) -> bool:
    """Apply the next escalation step: raise priority and/or move to the escalation team."""
    policy_steps = run.steps(clock.policy_id)
    level = clock.escalation_level
    following = policy_steps[level + 1] if level + 1 < len(policy_steps) else None
    next_at = None
    if following is not None and clock.breached_at is not None:
        next_at = max(now, clock.breached_at + timedelta(minutes=following.after_minutes))
    done = clock.fulfilled_at is not None or level >= len(policy_steps)
    claimed = _claim(
        [clock],
        {"next_escalation_at__lte": now, "escalation_level": level},
        escalation_level=level if done else level + 1,
        next_escalation_at=None if done else next_at,
        updated_at=now,
    )
    if not claimed or done:
        return False
    step = policy_steps[level]
    # Fresh: another clock of this ticket may have escalated it earlier in this batch.
    ticket = Ticket.objects.select_related("team").get(pk=clock.ticket_id)
    before = {"priority": Priority(ticket.priority).label, "team": ticket.team_id}
    changes: dict = {}
    if step.raise_priority and ticket.priority < Priority.URGENT:
        changes["priority"] = ticket.priority + 1
    team_id = clock.policy.escalation_team_id
    if step.move_to_escalation_team and team_id is not None and ticket.team_id != team_id:
        changes["team"] = Team.objects.get(pk=team_id)
    if changes:
        # Through the ticket service: audit events, version bump, and the SLA handler
        # recomputing due times for the new priority (this clock included, same transaction).
        ticket = ticket_services.ticket_update(ticket=ticket, actor=None, **changes)
    entry = _audit_entry(
        clock,
        EventKind.SLA_ESCALATED,
        now,
        level=level + 1,
        before=before,
        priority=Priority(ticket.priority).label,
        team=ticket.team_id,
    )
    ticket_services.audit_record_many(entries=[entry])
    run.notify(clock, "escalation")
    return True


def _run(due, apply, *, now: datetime, batch_size: int, batched: bool = False) -> int:
    """`apply(clocks, now, run)`; `batched`: it takes a whole batch (set-based), and the row
    path after a failed batch is a batch of one. Otherwise it takes one clock at a time."""
    run = _Pass()
    if batched:
        handle = partial(_one_of, apply, now=now, run=run)
        handle_batch = partial(apply, now=now, run=run)
    else:
        handle, handle_batch = partial(apply, now=now, run=run), None
    done = sweep_due(
        due, handle=handle, handle_batch=handle_batch, batch_size=batch_size, lock_of=("ticket",)
    )
    run.flush()
    return done


def warnings_apply(*, now: datetime, batch_size: int = 100) -> int:
    due = _due(warn_at__lte=now, **WARN_DUE).order_by("warn_at")
    return _run(due, _apply_warnings, now=now, batch_size=batch_size, batched=True)


def breaches_apply(*, now: datetime, batch_size: int = 100) -> int:
    due = _due(due_at__lte=now, **BREACH_DUE).order_by("due_at")
    return _run(due, _apply_breaches, now=now, batch_size=batch_size, batched=True)


def escalations_apply(*, now: datetime, batch_size: int = 100) -> int:
    due = _due(next_escalation_at__lte=now).order_by("next_escalation_at")
    return _run(due, _apply_escalation, now=now, batch_size=batch_size)


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
