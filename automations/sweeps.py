"""The time-rule sweep: due rows on their partial index (`timerule_due_idx`), in batches,
SKIP LOCKED on the row and its ticket (as the SLA sweep does), so two sweepers never apply
one row twice and never wait on each other, and a killed worker's batch rolls back whole."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from core.sweeps import sweep_due
from tickets.status import Status

from .conditions import Subject, conditions_match
from .models import Timer, TimeRuleDue
from .services import rule_apply

# A timer's own condition, checked again when the row comes due (defence in depth: the
# ticket events already delete rows whose condition stopped holding).
_STILL = {Timer.PENDING: Status.PENDING, Timer.SOLVED: Status.SOLVED}


def time_rule_apply(row: TimeRuleDue, *, now: datetime) -> str:
    """Apply one due row once: claim it (a conditional UPDATE), check the rule, act, audit."""
    claimed = TimeRuleDue.objects.filter(pk=row.pk, applied_at__isnull=True).update(applied_at=now)
    if not claimed:
        return "already applied"
    ticket, rule = row.ticket, row.rule
    if not rule.active or ticket.status == Status.CLOSED:
        outcome = "rule inactive" if not rule.active else "ticket closed"
    elif rule.timer in _STILL and ticket.status != _STILL[rule.timer]:
        outcome = f"ticket no longer {_STILL[rule.timer]}"
    elif not conditions_match(rule.conditions, Subject(ticket=ticket, now=now)):
        outcome = "conditions not met"
    else:
        done = rule_apply(rule, ticket, event=f"time.{rule.timer}")
        outcome = "applied" if done is not None else "failed"
    TimeRuleDue.objects.filter(pk=row.pk).update(outcome=outcome)
    return outcome


def _record_error(row: TimeRuleDue, exc: Exception) -> None:
    TimeRuleDue.objects.filter(pk=row.pk).update(
        applied_at=timezone.now(), outcome=f"error: {exc}"[:200]
    )


def time_rules_sweep(*, now: datetime | None = None, batch_size: int = 100) -> int:
    """Apply every due time rule; returns how many rows were handled."""
    now = now or timezone.now()
    due = (
        TimeRuleDue.objects.filter(applied_at__isnull=True, due_at__lte=now)
        .select_related("ticket__requester", "ticket__organization", "rule")
        .order_by("due_at", "id")
    )
    return sweep_due(
        due,
        handle=lambda row: time_rule_apply(row, now=now),
        on_error=_record_error,
        batch_size=batch_size,
        lock_of=("self", "ticket"),
    )
