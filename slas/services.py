"""SLA clocks, driven by ticket events: the one place where the clock rules live.

Subscribed (slas/handlers.py) to ticket.created, message.created and ticket.updated; the
handlers run in the ticket service's transaction, so clocks, `Ticket.next_due_at` and the
ticket change commit (or roll back) together.

Rules:
- created: start first response (reactive tickets), resolution and periodic update;
  a ticket on a channel its tier does not serve is flagged outside_plan and answered once.
- an agent's public reply fulfils first and next response and restarts periodic update;
  a customer message after an agent reply starts next response.
- pending pauses resolution and periodic update; on hold pauses resolution when the policy
  says so; back to open resumes; solved fulfils every clock; a reopen resumes resolution
  from the time already used.
- priority change (and a re-applied policy or tier change) recomputes due times from the
  business time already consumed.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Prefetch
from django.utils import timezone

from core import events
from tickets.models import ChannelKind, Direction, Ticket, TicketEvent, TicketKind
from tickets.status import Status

from .business_time import (
    TWENTY_FOUR_SEVEN,
    CalendarSpec,
    add_business_minutes,
    business_minutes_between,
)
from .models import BusinessCalendar, Metric, SlaClock, SlaPolicy, SlaTarget, SlaTier

logger = logging.getLogger(__name__)

OUTSIDE_PLAN_REASON = "outside_plan"
WAITING_ON_CUSTOMER = (Metric.RESOLUTION, Metric.PERIODIC_UPDATE)


# --- which policy measures a ticket ----------------------------------------------------------


def _policies() -> object:
    return SlaPolicy.objects.select_related("calendar").prefetch_related(
        "targets",
        Prefetch("calendar__intervals"),
        Prefetch("calendar__holidays"),
    )


_POLICY_CACHE: dict[int, tuple[float, SlaPolicy | None]] = {}  # 0: the default policy


def _cached(key: int, load) -> SlaPolicy | None:
    now = time.monotonic()
    hit = _POLICY_CACHE.get(key)
    if hit is not None and now - hit[0] < settings.SLA_POLICY_CACHE_SECONDS:
        return hit[1]
    policy = load()
    _POLICY_CACHE[key] = (now, policy)
    return policy


def _policy(pk: int) -> SlaPolicy:
    """A policy version with its targets and calendar, from a per-process cache.

    Versions are immutable (an edit is a new row), so only their calendar can change under
    them: entries live SLA_POLICY_CACHE_SECONDS, and any save of a policy, target or calendar
    in this process clears the cache (slas.apps). Saves four queries per ticket created.
    """
    return _cached(pk, lambda: _policies().get(pk=pk))


def _default_policy() -> SlaPolicy | None:
    """The best-effort policy for customers without a tier (cached like _policy)."""
    return _cached(0, lambda: _policies().filter(is_default=True, is_current=True).first())


def policy_cache_clear(**_kwargs) -> None:
    _POLICY_CACHE.clear()


def _tier_of(customer, organization) -> SlaTier | None:
    """The customer's own tier, else their organization's."""
    if customer.tier_id:
        return customer.tier
    return organization.tier if organization is not None else None


def tier_for(ticket: Ticket) -> SlaTier | None:
    """A ticket's tier (its organization as recorded on the ticket)."""
    return _tier_of(ticket.requester, ticket.organization)


def customer_tier(customer) -> SlaTier | None:
    return _tier_of(customer, customer.organization)


def _policy_of(customer, organization, tier) -> SlaPolicy | None:
    """Customer override > organization override > tier policy > the default (best effort)."""
    for policy_id in (
        customer.sla_policy_id,
        organization.sla_policy_id if organization else None,
        tier.policy_id if tier else None,
    ):
        if policy_id:
            return _policy(policy_id)
    return _default_policy()


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The policy a ticket is measured with (its organization as recorded on the ticket)."""
    return _policy_of(ticket.requester, ticket.organization, tier_for(ticket))


def customer_policy(customer) -> SlaPolicy | None:
    """The policy a customer's new tickets would be measured with."""
    return _policy_of(customer, customer.organization, customer_tier(customer))


def business_deadline(*, customer, start: datetime, minutes: float) -> datetime:
    """`minutes` of business time after `start` on the calendar of the customer's policy
    (24/7 without one): follow-up delays use the same hours the customer's SLA does."""
    policy = customer_policy(customer)
    spec = calendar_spec(policy.calendar if policy is not None else None)
    return add_business_minutes(start, minutes, spec)


def calendar_spec(calendar: BusinessCalendar | None) -> CalendarSpec:
    return calendar.spec() if calendar is not None else TWENTY_FOUR_SEVEN


def _spec(clock: SlaClock) -> CalendarSpec:
    if not clock.business_hours:
        return TWENTY_FOUR_SEVEN
    return calendar_spec(clock.policy.calendar)


def _target(policy: SlaPolicy, priority: int, metric: str) -> SlaTarget | None:
    for target in policy.targets.all():
        if target.priority == priority and target.metric == metric:
            return target
    return None


# --- clock arithmetic (one clock, in memory; callers save) ---------------------------------


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
        clock.consumed_minutes += business_minutes_between(
            clock.segment_started_at, at, _spec(clock)
        )
        clock.segment_started_at = at


def remaining_minutes(clock: SlaClock, at: datetime) -> float:
    """Business minutes left before the due time (negative once overdue)."""
    used = clock.consumed_minutes
    if clock.running and at > clock.segment_started_at:
        used += business_minutes_between(clock.segment_started_at, at, _spec(clock))
    if clock.running and at > clock.due_at:
        return -business_minutes_between(clock.due_at, at, _spec(clock))
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


def _start(
    ticket: Ticket, policy: SlaPolicy, metric: str, at: datetime, *, fresh: bool = False
) -> SlaClock | None:
    """(Re)start the ticket's clock for `metric`; `fresh`: the ticket has no clocks yet (it
    was just created), so there is nothing to look up or remove."""
    target = _target(policy, ticket.priority, metric)
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
    clock.save()
    return clock


def _fulfil(clock: SlaClock, at: datetime) -> None:
    _consume(clock, at)
    clock.fulfilled_at = at
    clock.paused_since = None
    clock.next_escalation_at = None  # a met (late) target escalates no further
    clock.save()


def _pause(clock: SlaClock, at: datetime) -> None:
    if not clock.running:
        return
    _consume(clock, at)
    clock.paused_since = at
    clock.save()


def _resume(clock: SlaClock, at: datetime) -> None:
    """Continue a paused clock, or a fulfilled resolution clock after a reopen."""
    clock.paused_since = clock.fulfilled_at = None
    clock.segment_started_at = at
    _schedule(clock)
    clock.save()


def _clocks(ticket: Ticket, *metrics: str) -> list[SlaClock]:
    clocks = SlaClock.objects.filter(ticket=ticket).select_related("policy__calendar")
    if metrics:
        clocks = clocks.filter(metric__in=metrics)
    clocks = clocks.prefetch_related("policy__calendar__intervals", "policy__calendar__holidays")
    return list(clocks)


def refresh_next_due(ticket: Ticket) -> None:
    """Ticket.next_due_at = the earliest due time of its running clocks (breached included)."""
    earliest = SlaClock.objects.filter(
        ticket=ticket, fulfilled_at__isnull=True, paused_since__isnull=True
    ).aggregate(earliest=Min("due_at"))["earliest"]
    if earliest != ticket.next_due_at:
        Ticket.objects.filter(pk=ticket.pk).update(next_due_at=earliest)
        ticket.next_due_at = earliest


def _record(ticket: Ticket, kind: str, **after) -> None:
    TicketEvent.objects.create(ticket=ticket, kind=kind, after=after)


def _ticket_policy(ticket: Ticket) -> SlaPolicy | None:
    """The policy version the ticket is measured with: its clocks', else the current one."""
    clock = SlaClock.objects.filter(ticket=ticket).order_by("id").first()
    if clock is not None:
        return _policy(clock.policy_id)
    return policy_for(ticket)


# --- event handlers ---------------------------------------------------------------------------


def _is_auto_reply(event: events.DomainEvent) -> bool:
    """Inbound auto-replies (out-of-office, bounces) are marked by the channel adapters."""
    return bool(event.data.get("auto_reply")) or bool(
        getattr(event.message, "is_auto_reply", False)
    )


def on_ticket_created(event: events.DomainEvent) -> None:
    ticket: Ticket = event.ticket
    tier = tier_for(ticket)
    if tier is not None and tier.channels and ticket.channel not in tier.channels:
        _outside_plan(ticket, tier, auto_reply=_is_auto_reply(event))
    policy = policy_for(ticket)
    if policy is None:
        return
    metrics = [Metric.RESOLUTION, Metric.PERIODIC_UPDATE]
    if ticket.kind == TicketKind.REACTIVE:
        metrics.insert(0, Metric.FIRST_RESPONSE)
    started = [_start(ticket, policy, metric, ticket.created_at, fresh=True) for metric in metrics]
    # The clocks were all just created: the earliest due time is known without a query.
    earliest = min((clock.due_at for clock in started if clock is not None), default=None)
    if earliest is not None:
        Ticket.objects.filter(pk=ticket.pk).update(next_due_at=earliest)
        ticket.next_due_at = earliest


def _outside_plan(ticket: Ticket, tier: SlaTier, *, auto_reply: bool) -> None:
    """Accept, flag and (once per ticket, never to an auto-reply) point to the tier's channels.

    The ticket is still measured with the tier's policy: the customer is not punished for
    picking the wrong door, but the reply tells them which doors their plan has.
    """
    if not ticket.outside_plan:
        ticket.outside_plan = True
        Ticket.objects.filter(pk=ticket.pk).update(outside_plan=True)
    _record(ticket, "sla.outside_plan", channel=ticket.channel, tier=tier.name)
    if auto_reply:
        return
    already = TicketEvent.objects.filter(
        ticket=ticket, kind="message_added", after__system=OUTSIDE_PLAN_REASON
    ).exists()
    if already:
        return
    from tickets.services import system_message_add

    system_message_add(ticket=ticket, body=outside_plan_text(tier), reason=OUTSIDE_PLAN_REASON)


def outside_plan_text(tier: SlaTier) -> str:
    labels = dict(ChannelKind.choices)
    channels = ", ".join(str(labels.get(c, c)) for c in tier.channels)
    text = (
        f"Thank you for your message: we have received it and will answer it. "
        f"Your {tier.name} plan includes support by {channels}; please use "
        f"{'it' if len(tier.channels) == 1 else 'one of these'} next time for the fastest answer."
    )
    if tier.self_service:
        where = f" at {tier.self_service_url}" if tier.self_service_url else ""
        text += f" Many questions are answered right away in our help center{where}."
    return text


def on_message_created(event: events.DomainEvent) -> None:
    if event.data.get("system"):
        return  # automatic messages are nobody's reply
    ticket: Ticket = event.ticket
    message = event.message
    at = message.created_at
    if message.direction == Direction.OUTBOUND:
        if not message.is_public or message.author_user_id is None:
            return
        for clock in _clocks(ticket):
            if clock.fulfilled_at is not None:
                continue
            if clock.metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
                _fulfil(clock, at)
            elif clock.metric == Metric.PERIODIC_UPDATE and ticket.status in (
                Status.NEW,
                Status.OPEN,
                Status.ON_HOLD,
            ):
                policy = _policy(clock.policy_id)
                _start(ticket, policy, Metric.PERIODIC_UPDATE, at)
    else:
        if _is_auto_reply(event) or ticket.first_replied_at is None:
            return
        running = SlaClock.objects.filter(
            ticket=ticket, metric=Metric.NEXT_RESPONSE, fulfilled_at__isnull=True
        ).exists()
        policy = None if running else _ticket_policy(ticket)
        if policy is not None:
            _start(ticket, policy, Metric.NEXT_RESPONSE, at)
    refresh_next_due(ticket)


def on_ticket_updated(event: events.DomainEvent) -> None:
    ticket: Ticket = event.ticket
    now = event.occurred_at
    if "status" in event.changes:
        before, after = event.changes["status"]
        _status_changed(ticket, before, after, now)
    if "priority" in event.changes:
        retarget(ticket, at=now)
    refresh_next_due(ticket)


# The clock rules of every status change, read top to bottom as one table (the slas split on
# another branch turns them into the per-metric clock table).
def _status_changed(  # noqa: C901 - one table of clock rules
    ticket: Ticket, before: str, after: str, at: datetime
) -> None:
    clocks = _clocks(ticket)
    if after == Status.SOLVED:
        for clock in clocks:
            if clock.fulfilled_at is None:
                _fulfil(clock, at)
    elif after == Status.PENDING:
        for clock in clocks:
            if clock.metric in WAITING_ON_CUSTOMER:
                _pause(clock, at)
    elif after == Status.ON_HOLD:
        for clock in clocks:
            if clock.fulfilled_at is not None:
                continue
            if clock.metric == Metric.RESOLUTION and clock.policy.pause_on_hold:
                _pause(clock, at)
            elif clock.paused_since is not None:
                _resume(clock, at)  # from pending: no longer waiting on the customer
    elif after in (Status.OPEN, Status.NEW):
        for clock in clocks:
            if clock.paused_since is not None:
                _resume(clock, at)
            elif before == Status.SOLVED and clock.metric in WAITING_ON_CUSTOMER:
                _resume(clock, at)  # reopened: continue from the time already used


def retarget(ticket: Ticket, *, at: datetime, policy: SlaPolicy | None = None) -> int:
    """Recompute unfinished clocks for the ticket's priority (and `policy`, when given: a
    re-applied policy or a tier change), keeping the business time already consumed.
    A priority the policy has no target for keeps the clock's target (an escalation must not
    stop the clock); a re-applied policy without the metric stops measuring it."""
    changed = 0
    new_policy = _policy(policy.pk) if policy is not None else None
    for clock in _clocks(ticket):
        if clock.fulfilled_at is not None:
            continue
        measure_with = new_policy or clock.policy
        target = _target(measure_with, ticket.priority, clock.metric)
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


@transaction.atomic
def ticket_sla_reapply(*, ticket: Ticket, actor=None) -> int:
    """Measure a running ticket with the policy that applies now (the current version of its
    tier's or override policy), keeping the time already used. Returns clocks changed."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    policy = policy_for(ticket)
    if policy is None:
        return 0
    if SlaClock.objects.filter(ticket=ticket).exists():
        changed = retarget(ticket, at=timezone.now(), policy=policy)
    else:  # not measured so far (no tier then): measure from when it arrived
        metrics = [Metric.RESOLUTION, Metric.PERIODIC_UPDATE]
        if ticket.kind == TicketKind.REACTIVE and ticket.first_replied_at is None:
            metrics.append(Metric.FIRST_RESPONSE)
        changed = sum(1 for m in metrics if _start(ticket, policy, m, ticket.created_at))
        if ticket.status in (Status.PENDING, Status.ON_HOLD):
            _status_changed(ticket, Status.OPEN, ticket.status, timezone.now())
        refresh_next_due(ticket)
    TicketEvent.objects.create(
        ticket=ticket, kind="sla.reapplied", actor_user=actor, after={"policy": str(policy)}
    )
    return changed


def on_organization_updated(event: events.DomainEvent) -> None:
    """A new tier or override policy: re-measure the organization's unresolved tickets, after
    commit and outside the request (an organization may have many open tickets)."""
    if not {"tier", "sla_policy"} & set(event.changes):
        return
    from .tasks import sla_reapply_organization

    organization_id = event.data["organization"]
    transaction.on_commit(lambda: sla_reapply_organization.delay(organization_id))


def organization_reapply(*, organization_id: int) -> int:
    """Re-apply the policy that applies now to each unresolved ticket of the organization,
    one transaction per ticket. Returns how many tickets were re-measured."""
    return _reapply_unresolved(Ticket.objects.filter(organization_id=organization_id))


def _reapply_unresolved(tickets) -> int:
    from tickets.status import UNRESOLVED

    ticket_ids = tickets.filter(status__in=UNRESOLVED).values_list("pk", flat=True)
    count = 0
    for ticket in Ticket.objects.filter(pk__in=list(ticket_ids)).select_related(
        "requester", "organization"
    ):
        ticket_sla_reapply(ticket=ticket)
        count += 1
    return count


def on_customer_updated(event: events.DomainEvent) -> None:
    """A customer's own tier or override policy changed: re-measure their unresolved
    tickets after commit, like an organization's (see on_organization_updated)."""
    if not {"tier", "sla_policy"} & set(event.changes):
        return
    from .tasks import sla_reapply_customer

    customer_id = event.customer.pk
    transaction.on_commit(lambda: sla_reapply_customer.delay(customer_id))


def customer_reapply(*, customer_id: int) -> int:
    """Re-apply the policy that applies now to each unresolved ticket the customer requested,
    one transaction per ticket. Returns how many tickets were re-measured."""
    return _reapply_unresolved(Ticket.objects.filter(requester_id=customer_id))
