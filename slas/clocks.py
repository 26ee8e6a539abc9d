"""The SLA clock rules: one table says how each metric's clock reacts to what happens on a
ticket; the functions below apply it (and the arithmetic of one clock, in business time).

Adding a metric = a `Metric` value (slas.models, with its migration) and one entry in
METRIC_RULES; nothing below names a metric. Callers run inside the ticket service's
transaction (under the ticket's lock), so clocks and `Ticket.next_due_at` commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.db.models import Min
from django.utils import timezone

from core import rows
from tickets import services as ticket_services
from tickets.models import Ticket, TicketKind
from tickets.status import Status

from . import selectors
from .business_time import TWENTY_FOUR_SEVEN, CalendarSpec, add_business_minutes
from .business_time import business_minutes_between as _between
from .models import Metric, SlaClock, SlaPolicy


class OnAgentReply(Enum):
    NOTHING = "nothing"
    FULFILS = "fulfils"  # the reply is what the metric waits for
    RESTARTS = "restarts"  # measured again from the reply, while the ticket is worked on


@dataclass(frozen=True)
class MetricRule:
    """How one metric's clock reacts to what happens on its ticket."""

    # Started when the ticket is created (or first measured, see ticket_sla_reapply) ...
    starts_with_ticket: bool = False
    # ... but only while we owe a first answer: a reactive ticket nobody has replied to.
    awaits_first_reply: bool = False
    # (Re)started by each customer message after an agent replied, unless already running.
    starts_on_customer_message: bool = False
    agent_reply: OnAgentReply = OnAgentReply.NOTHING
    # Time the customer waits on us: paused while pending, resumed on a reopen.
    waits_on_customer: bool = False
    # Paused while on hold where the policy says so (`SlaPolicy.pause_on_hold`).
    pauses_on_hold: bool = False


METRIC_RULES: dict[str, MetricRule] = {
    Metric.FIRST_RESPONSE: MetricRule(
        starts_with_ticket=True, awaits_first_reply=True, agent_reply=OnAgentReply.FULFILS
    ),
    Metric.NEXT_RESPONSE: MetricRule(
        starts_on_customer_message=True, agent_reply=OnAgentReply.FULFILS
    ),
    Metric.RESOLUTION: MetricRule(
        starts_with_ticket=True, waits_on_customer=True, pauses_on_hold=True
    ),
    Metric.PERIODIC_UPDATE: MetricRule(
        starts_with_ticket=True, agent_reply=OnAgentReply.RESTARTS, waits_on_customer=True
    ),
}
# An agent's reply restarts a RESTARTS clock only while the ticket is being worked on.
WORKED_ON = (Status.NEW, Status.OPEN, Status.ON_HOLD)


def _rule(clock: SlaClock) -> MetricRule:
    return METRIC_RULES.get(clock.metric, MetricRule())


def metrics_starting_with(ticket: Ticket) -> list[str]:
    """The metrics measured from the ticket's arrival, in table order."""
    owes_first_reply = ticket.kind == TicketKind.REACTIVE and ticket.first_replied_at is None
    return [
        metric
        for metric, rule in METRIC_RULES.items()
        if rule.starts_with_ticket and (owes_first_reply or not rule.awaits_first_reply)
    ]


# --- one clock, in memory; callers save -------------------------------------------------------


def _spec(clock: SlaClock) -> CalendarSpec:
    if not clock.business_hours:
        return TWENTY_FOUR_SEVEN
    return selectors.calendar_spec(clock.policy.calendar)


def _schedule(clock: SlaClock) -> None:
    """due/warn from the running segment's start and the time already consumed."""
    spec = _spec(clock)
    remaining = max(0.0, clock.target_minutes - clock.consumed_minutes)
    clock.due_at = add_business_minutes(clock.segment_started_at, remaining, spec)
    warn_total = clock.target_minutes * clock.policy.warn_at_percent / 100
    clock.warn_at = add_business_minutes(
        clock.segment_started_at, max(0.0, warn_total - clock.consumed_minutes), spec
    )


def _consume(clock: SlaClock, at: datetime) -> None:
    """Bank the running segment's business time up to `at`."""
    if clock.running and at > clock.segment_started_at:
        clock.consumed_minutes += _between(clock.segment_started_at, at, _spec(clock))
        clock.segment_started_at = at


def remaining_minutes(clock: SlaClock, at: datetime) -> float:
    """Business minutes left before the due time (negative once overdue)."""
    used = clock.consumed_minutes
    if clock.running and at > clock.segment_started_at:
        used += _between(clock.segment_started_at, at, _spec(clock))
    if clock.running and at > clock.due_at:
        return -_between(clock.due_at, at, _spec(clock))
    return clock.target_minutes - used


def clock_state(clock: SlaClock) -> str:
    if clock.fulfilled_at is not None:
        return "fulfilled"
    if clock.breached_at is not None:
        return "breached"
    if clock.paused_since is not None:
        return "paused"
    if clock.warned_at is not None:
        return "at_risk"
    return "running"


# The steps below change a clock in memory and say whether they did; callers save (one
# clock.save(), or one bulk UPDATE for a batch of tickets: clocks_after_status_changes).
def _fulfil(clock: SlaClock, at: datetime) -> bool:
    _consume(clock, at)
    clock.fulfilled_at = at
    clock.paused_since = None
    clock.next_escalation_at = None  # a met (late) target escalates no further
    return True


def _pause(clock: SlaClock, at: datetime) -> bool:
    if not clock.running:
        return False
    _consume(clock, at)
    clock.paused_since = at
    return True


def _resume(clock: SlaClock, at: datetime) -> bool:
    """Continue a paused clock, or a fulfilled clock after a reopen."""
    clock.paused_since = clock.fulfilled_at = None
    clock.segment_started_at = at
    _schedule(clock)
    return True


# What the steps above may change (plus updated_at, which bulk_update does not set itself).
_STEP_FIELDS = (
    "consumed_minutes",
    "segment_started_at",
    "fulfilled_at",
    "paused_since",
    "next_escalation_at",
    "due_at",
    "warn_at",
    "updated_at",
)


# --- a ticket's clocks ------------------------------------------------------------------------


def clock_start(
    ticket: Ticket,
    policy: SlaPolicy,
    metric: str,
    at: datetime,
    *,
    fresh: bool = False,
    save: bool = True,
) -> SlaClock | None:
    """(Re)start the ticket's clock for `metric` (None: the policy has no target for it);
    `fresh`: the ticket has no clocks yet (it was just created), nothing to look up or remove;
    `save=False`: the caller saves it (clocks_plan_new's, in one INSERT)."""
    target = selectors.target_for(policy, ticket.priority, metric)
    if target is None:
        if not fresh:
            SlaClock.objects.filter(ticket=ticket, metric=metric).delete()
        return None
    existing = None if fresh else SlaClock.objects.filter(ticket=ticket, metric=metric).first()
    clock = existing or SlaClock(ticket=ticket, metric=metric)
    clock.policy = policy
    clock.target_minutes = target.minutes
    clock.business_hours = target.business_hours
    clock.started_at = clock.segment_started_at = at
    clock.consumed_minutes = 0
    clock.paused_since = clock.fulfilled_at = clock.warned_at = clock.breached_at = None
    clock.escalation_level, clock.next_escalation_at = 0, None
    _schedule(clock)
    if save:
        clock.save()
    return clock


def clocks_plan_new(ticket: Ticket, policy: SlaPolicy) -> list[SlaClock]:
    """A ticket about to be written (no id yet, its `created_at` set): the clocks that start
    with its arrival, unsaved, and its `next_due_at` set on it, so the ticket's own INSERT
    carries it (no UPDATE after); clocks_insert_planned writes the clocks once it has an id."""
    planned = [
        clock
        for metric in metrics_starting_with(ticket)
        if (clock := clock_start(ticket, policy, metric, ticket.created_at, fresh=True, save=False))
    ]
    # The clocks are all new: the earliest due time is known without a query.
    ticket.next_due_at = min((clock.due_at for clock in planned), default=None)
    return planned


def clocks_insert_planned(ticket: Ticket, planned: list[SlaClock]) -> None:
    """The written ticket's planned clocks (clocks_plan_new), in one INSERT."""
    for clock in planned:
        clock.ticket = ticket  # planned before the ticket had its id
    rows.insert(planned)


def clocks_after_agent_reply(ticket: Ticket, at: datetime) -> None:
    for clock in selectors.ticket_clocks(ticket):
        if clock.fulfilled_at is not None:
            continue
        rule = _rule(clock)
        if rule.agent_reply is OnAgentReply.FULFILS:
            _fulfil(clock, at)
            clock.save()
        elif rule.agent_reply is OnAgentReply.RESTARTS and ticket.status in WORKED_ON:
            clock_start(ticket, selectors.policy_get(clock.policy_id), clock.metric, at)


def clocks_after_customer_message(ticket: Ticket, at: datetime) -> None:
    """A customer wrote after an agent's reply."""
    policy = None
    for metric, rule in METRIC_RULES.items():
        if not rule.starts_on_customer_message:
            continue
        running = SlaClock.objects.filter(
            ticket=ticket, metric=metric, fulfilled_at__isnull=True
        ).exists()
        if not running:
            policy = policy or selectors.ticket_policy(ticket)
            if policy is not None:
                clock_start(ticket, policy, metric, at)


def _when_solved(clock: SlaClock, before: str, at: datetime) -> bool:
    return clock.fulfilled_at is None and _fulfil(clock, at)


def _when_pending(clock: SlaClock, before: str, at: datetime) -> bool:
    return _rule(clock).waits_on_customer and _pause(clock, at)


def _when_on_hold(clock: SlaClock, before: str, at: datetime) -> bool:
    if clock.fulfilled_at is not None:
        return False
    if _rule(clock).pauses_on_hold and clock.policy.pause_on_hold:
        return _pause(clock, at)
    if clock.paused_since is not None:
        return _resume(clock, at)  # from pending: no longer waiting on the customer
    return False


def _when_open(clock: SlaClock, before: str, at: datetime) -> bool:
    if clock.paused_since is not None:
        return _resume(clock, at)
    if before == Status.SOLVED and _rule(clock).waits_on_customer:
        return _resume(clock, at)  # reopened: continue from the time already used
    return False


# What a move to each status does to each of the ticket's clocks.
_STATUS_STEPS = {
    Status.SOLVED: _when_solved,
    # Closed without being solved: a ticket merged into another (its clocks stop there).
    Status.CLOSED: _when_solved,
    Status.PENDING: _when_pending,
    Status.ON_HOLD: _when_on_hold,
    Status.OPEN: _when_open,
    Status.NEW: _when_open,
}


def clocks_after_status_change(ticket: Ticket, before: str, after: str, at: datetime) -> None:
    step = _STATUS_STEPS.get(after)
    if step is None:
        return
    for clock in selectors.ticket_clocks(ticket):
        if step(clock, before, at):
            clock.save()


@dataclass(frozen=True)
class StatusChange:
    """One ticket's status change, for clocks_after_status_changes."""

    ticket: Ticket
    before: str
    after: str
    at: datetime


def clocks_after_status_changes(changes: list[StatusChange]) -> int:
    """clocks_after_status_change for a batch of tickets (each at most once), set-based: one
    read of their clocks, the same step per clock, one UPDATE of the changed ones. Returns how
    many clocks changed."""
    stepping = {c.ticket.pk: c for c in changes if c.after in _STATUS_STEPS}
    if not stepping:
        return 0
    changed = []
    for clock in selectors.tickets_clocks(list(stepping)):
        change = stepping[clock.ticket_id]
        if _STATUS_STEPS[change.after](clock, change.before, change.at):
            clock.updated_at = timezone.now()
            changed.append(clock)
    if changed:
        SlaClock.objects.bulk_update(changed, _STEP_FIELDS)
    return len(changed)


def retarget(ticket: Ticket, *, at: datetime, policy: SlaPolicy | None = None) -> int:
    """Recompute unfinished clocks for the ticket's priority (and `policy`, when given: a
    re-applied policy or a tier change), keeping the business time already consumed.
    A priority the policy has no target for keeps the clock's target (an escalation must not
    stop the clock); a re-applied policy without the metric stops measuring it."""
    changed = 0
    new_policy = selectors.policy_get(policy.pk) if policy is not None else None
    for clock in selectors.ticket_clocks(ticket):
        if clock.fulfilled_at is not None:
            continue
        measure_with = new_policy or clock.policy
        target = selectors.target_for(measure_with, ticket.priority, clock.metric)
        if target is None and policy is not None:
            clock.delete()  # the re-applied policy does not measure this metric
            changed += 1
            continue
        if target is None:
            continue  # no target at the new priority: keep measuring with the one it had
        _consume(clock, at)
        clock.policy = measure_with
        clock.target_minutes = target.minutes
        clock.business_hours = target.business_hours
        _schedule(clock)
        clock.save()
        changed += 1
    refresh_next_due(ticket)
    return changed


def refresh_next_due_many(tickets: list[Ticket]) -> None:
    """refresh_next_due for a batch of tickets: one grouped read, one UPDATE of the tickets
    whose earliest due time moved."""
    if not tickets:
        return
    earliest = dict(
        SlaClock.objects.filter(
            ticket_id__in=[t.pk for t in tickets],
            fulfilled_at__isnull=True,
            paused_since__isnull=True,
        )
        .order_by()  # not the model's ordering: it would join and group by the ticket
        .values("ticket_id")
        .annotate(earliest=Min("due_at"))
        .values_list("ticket_id", "earliest")
    )
    moved = []
    for ticket in tickets:
        due = earliest.get(ticket.pk)
        if due != ticket.next_due_at:
            ticket.next_due_at = due
            moved.append(ticket)
    ticket_services.tickets_next_due_set(tickets=moved)


def refresh_next_due(ticket: Ticket) -> None:
    """Ticket.next_due_at = the earliest due time of its running clocks (breached included)."""
    earliest = SlaClock.objects.filter(
        ticket=ticket, fulfilled_at__isnull=True, paused_since__isnull=True
    ).aggregate(earliest=Min("due_at"))["earliest"]
    if earliest != ticket.next_due_at:
        ticket_services.ticket_sla_fields_set(ticket=ticket, next_due_at=earliest)
