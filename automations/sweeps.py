"""The time-rule sweep: due rows on their partial index (`timerule_due_idx`), in batches,
SKIP LOCKED on the row and its ticket (as the SLA sweep does), so two sweepers never apply
one row twice and never wait on each other, and a killed worker's batch rolls back whole.

A batch is applied set-based (`time_rules_apply_batch`) where it can be: the rows whose
rule does not act (inactive, ticket closed or no longer pending/solved, conditions not met)
and the rows whose rule's one action is set_status (the shipped "close" and "solve" rules)
cost a constant number of statements per batch: one claim, one audit INSERT, then per rule
one status change of all its tickets (tickets.services.tickets_status_set, whose
ticket.updated events subscribers take as one batch). Every other row (another action, a
ticket met a second time in the batch) goes through `time_rule_apply`, one at a time, after
them. Same checks, same outcomes, same audit trail either way; if the set-based part raises,
sweep_due rolls the batch back and applies it row by row."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, transaction
from django.utils import timezone

from core.sweeps import sweep_due
from tickets.status import Status, TransitionError, check_transition

from .actions import single_status_target
from .conditions import Subject, conditions_match
from .models import Timer, TimeRuleDue
from .services import rule_apply, rule_apply_status_many

logger = logging.getLogger(__name__)

# A timer's own condition, checked again when the row comes due (defence in depth: the
# ticket events already delete rows whose condition stopped holding).
_STILL = {Timer.PENDING: Status.PENDING, Timer.SOLVED: Status.SOLVED}


def _skipped(row: TimeRuleDue, *, now: datetime) -> str | None:
    """Why the row's rule does not act now (its outcome), or None when it acts."""
    ticket, rule = row.ticket, row.rule
    if not rule.active or ticket.status == Status.CLOSED:
        return "rule inactive" if not rule.active else "ticket closed"
    if rule.timer in _STILL and ticket.status != _STILL[rule.timer]:
        return f"ticket no longer {_STILL[rule.timer]}"
    if not conditions_match(rule.conditions, Subject(ticket=ticket, now=now)):
        return "conditions not met"
    return None


def time_rule_apply(row: TimeRuleDue, *, now: datetime) -> str:
    """Apply one due row once: claim it (a conditional UPDATE), check the rule, act, audit."""
    claimed = TimeRuleDue.objects.filter(pk=row.pk, applied_at__isnull=True).update(applied_at=now)
    if not claimed:
        return "already applied"
    outcome = _skipped(row, now=now)
    if outcome is None:
        rule = row.rule
        done = rule_apply(rule, row.ticket, event=f"time.{rule.timer}")
        outcome = "applied" if done is not None else "failed"
    TimeRuleDue.objects.filter(pk=row.pk).update(outcome=outcome)
    return outcome


# Claim rows not yet applied and record their outcomes, in one statement.
_CLAIM = (
    "UPDATE automations_timeruledue AS d SET applied_at = %s, outcome = v.outcome "
    "FROM unnest(%s::bigint[], %s::text[]) AS v(id, outcome) "
    "WHERE d.id = v.id AND d.applied_at IS NULL RETURNING d.id"
)


@dataclass
class _Plan:
    """A batch split: rows decided set-based (their outcome), and the rest, one by one."""

    outcomes: dict[int, str]
    acting: list[TimeRuleDue]
    one_by_one: list[TimeRuleDue]


def _plan(rows: list[TimeRuleDue], *, now: datetime) -> _Plan:
    plan, seen = _Plan({}, [], []), set()
    for row in rows:
        first = row.ticket_id not in seen  # a ticket's later rows wait for its first one
        seen.add(row.ticket_id)
        if not first or (row.rule.active and not _set_based(row)):
            plan.one_by_one.append(row)
            continue
        outcome = _skipped(row, now=now)
        plan.outcomes[row.pk] = outcome or "applied"
        if outcome is None:
            plan.acting.append(row)
    return plan


def _set_based(row: TimeRuleDue) -> bool:
    """The rule's one action is a status change the ticket can make (a refused transition
    goes one by one, to be audited as a failed firing there)."""
    target = single_status_target(row.rule.actions)
    if target is None:
        return False
    try:
        check_transition(row.ticket.status, target)
    except TransitionError:
        return False
    return True


def _claim(outcomes: dict[int, str], *, now: datetime) -> set[int]:
    if not outcomes:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, [now, list(outcomes), list(outcomes.values())])
        return {pk for (pk,) in cursor.fetchall()}


def time_rules_apply_batch(rows: list[TimeRuleDue], *, now: datetime) -> None:
    """Apply a locked batch of due rows: set-based where the rule acts by a status change
    or not at all, one by one (time_rule_apply, each in a savepoint) for the rest."""
    plan = _plan(rows, now=now)
    claimed = _claim(plan.outcomes, now=now)
    by_rule: dict[int, list[TimeRuleDue]] = {}
    for row in plan.acting:
        if row.pk in claimed:
            by_rule.setdefault(row.rule_id, []).append(row)
    for group in by_rule.values():
        rule = group[0].rule
        rule_apply_status_many(
            rule,
            [row.ticket for row in group],
            event=f"time.{rule.timer}",
            status=single_status_target(rule.actions),
        )
    for row in plan.one_by_one:
        try:
            with transaction.atomic():
                time_rule_apply(row, now=now)
        except SoftTimeLimitExceeded:
            raise  # sweep_due rolls the batch back: the next sweep takes it
        except Exception as exc:  # as core.sweeps does row by row
            logger.exception("time rule sweep: row %s failed", row.pk)
            with transaction.atomic():
                _record_error(row, exc)


def _record_error(row: TimeRuleDue, exc: Exception) -> None:
    TimeRuleDue.objects.filter(pk=row.pk).update(
        applied_at=timezone.now(), outcome=f"error: {exc}"[:200]
    )


def time_rules_sweep(*, now: datetime | None = None, batch_size: int = 500) -> int:
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
        handle_batch=lambda rows: time_rules_apply_batch(rows, now=now),
        batch_size=batch_size,
        lock_of=("self", "ticket"),
    )
