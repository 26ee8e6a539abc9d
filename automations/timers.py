"""Time-rule due rows, kept by ticket events (never by scanning tickets).

- ticket created: starts "created", "updated" and (a customer's ticket) "customer_message";
- any ticket change: restarts "updated";
- status -> pending / solved: starts that timer; leaving it deletes the rows not yet applied;
- a customer message: restarts "customer_message";
- closed: every row not yet applied is deleted.
A row already applied is never re-armed: a time rule acts at most once per ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from slas.business_time import CalendarSpec, _day_windows, add_business_minutes
from slas.selectors import calendar_spec, policy_for
from tickets.models import Ticket
from tickets.status import Status

from .models import Timer, TimeRule, TimeRuleDue, TimeUnit
from .selectors import time_rules_for

# Move the due time of a row not yet applied; an applied row stays as it is (once per ticket).
_UPSERT = (
    "INSERT INTO automations_timeruledue (ticket_id, rule_id, due_at, outcome) "
    "VALUES (%s, %s, %s, '') ON CONFLICT (ticket_id, rule_id) DO UPDATE "
    "SET due_at = EXCLUDED.due_at WHERE automations_timeruledue.applied_at IS NULL"
)
# The same for many (ticket, rule, due) rows in one statement (a batch of ticket events).
_UPSERT_MANY = (
    "INSERT INTO automations_timeruledue (ticket_id, rule_id, due_at, outcome) "
    "SELECT t, r, d, '' FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS v(t, r, d) "
    "ON CONFLICT (ticket_id, rule_id) DO UPDATE "
    "SET due_at = EXCLUDED.due_at WHERE automations_timeruledue.applied_at IS NULL"
)
STATUS_TIMERS = {Status.PENDING: Timer.PENDING, Status.SOLVED: Timer.SOLVED}


def add_business_days(start: datetime, days: int, spec: CalendarSpec) -> datetime:
    """`days` business days after `start`: the same local time on the days-th following day
    that has opening hours and is not a holiday (every day, on a 24/7 calendar)."""
    if spec.always_open:
        return start + timedelta(days=days)
    local = start.astimezone(spec.zone)
    day, counted = local.date(), 0
    for _ in range(days * 30 + 366):  # a calendar with no open day ever: give up in a year
        if counted == days:
            break
        day += timedelta(days=1)
        if _day_windows(spec, day):
            counted += 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=spec.zone)


_MINUTES = {TimeUnit.MINUTES: 1, TimeUnit.HOURS: 60, TimeUnit.DAYS: 24 * 60}


def due_time(rule: TimeRule, ticket: Ticket, start: datetime) -> datetime:
    """When the rule comes due for a timer that started at `start`."""
    if not rule.business_time:
        return start + timedelta(minutes=rule.after * _MINUTES[rule.unit])
    policy = policy_for(ticket)
    spec = calendar_spec(policy.calendar if policy is not None else None)
    if rule.unit == TimeUnit.DAYS:
        return add_business_days(start, rule.after, spec)
    return add_business_minutes(start, rule.after * _MINUTES[rule.unit], spec)


def timers_start(*, ticket: Ticket, timers: set[str], at: datetime) -> int:
    """(Re)start these timers for the ticket: one due row per active rule, due time moved
    unless the rule already acted on this ticket. Returns how many rules count them."""
    rules = time_rules_for(timers)
    if not rules:
        return 0
    values = [(ticket.pk, rule.pk, due_time(rule, ticket, at)) for rule in rules]
    with connection.cursor() as cursor:
        cursor.executemany(_UPSERT, values)
    return len(rules)


def timers_stop(*, ticket: Ticket, timers: set[str] | None = None) -> int:
    """Delete the ticket's rows not yet applied (of these timers; all of them if None)."""
    rows = TimeRuleDue.objects.filter(ticket=ticket, applied_at__isnull=True)
    if timers is not None:
        rows = rows.filter(rule__timer__in=timers)
    return rows.delete()[0]


def timers_start_many(*, starts: list[tuple[Ticket, datetime]], timers: set[str]) -> int:
    """timers_start for many (ticket, started at) pairs, in one statement. Each ticket at most
    once (one row per ticket and rule). Returns how many rows were written or moved."""
    rules = time_rules_for(timers)
    values = [(t.pk, rule.pk, due_time(rule, t, at)) for t, at in starts for rule in rules]
    if not values:
        return 0
    if connection.vendor != "postgresql":  # no arrays: the one-row upsert per pair
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT, values)
        return len(values)
    tickets, rule_ids, due = (list(column) for column in zip(*values, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_MANY, [tickets, rule_ids, due])
        return cursor.rowcount


def timers_stop_many(*, ticket_ids: list[int], timers: set[str] | None = None) -> int:
    """timers_stop for many tickets, in one DELETE."""
    if not ticket_ids:
        return 0
    rows = TimeRuleDue.objects.filter(ticket_id__in=ticket_ids, applied_at__isnull=True)
    if timers is not None:
        rows = rows.filter(rule__timer__in=timers)
    return rows.delete()[0]


def timers_on_status_many(changes: list[tuple[Ticket, str, str, datetime]]) -> None:
    """timers_on_status for many (ticket, before, after, at), each ticket at most once: one
    DELETE or upsert per kind of move instead of one per ticket."""
    closed = [t.pk for t, _before, after, _at in changes if after == Status.CLOSED]
    timers_stop_many(ticket_ids=closed)
    still = [change for change in changes if change[2] != Status.CLOSED]
    for status, timer in STATUS_TIMERS.items():
        left = [t.pk for t, before, _after, _at in still if before == status]
        timers_stop_many(ticket_ids=left, timers={timer})
    for status, timer in STATUS_TIMERS.items():
        entered = [(t, at) for t, _before, after, at in still if after == status]
        timers_start_many(starts=entered, timers={timer})


def timers_on_status(*, ticket: Ticket, before: str, after: str, at: datetime) -> None:
    if after == Status.CLOSED:
        timers_stop(ticket=ticket)
        return
    if before in STATUS_TIMERS:
        timers_stop(ticket=ticket, timers={STATUS_TIMERS[before]})
    if after in STATUS_TIMERS:
        timers_start(ticket=ticket, timers={STATUS_TIMERS[after]}, at=at)
