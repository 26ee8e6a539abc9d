"""Which tier and policy measure a ticket or a customer, and the reads the clock rules need.

Policy versions are cached per process: a version is immutable (an edit is a new row), so
only its calendar can change under it. Entries live SLA_POLICY_CACHE_SECONDS and any save
of a policy, target, calendar or tier in this process clears the cache (slas.handlers);
tiers are cached the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from tickets.models import Ticket

from .business_time import TWENTY_FOUR_SEVEN, CalendarSpec, add_business_minutes
from .models import BusinessCalendar, SlaClock, SlaPolicy, SlaTarget, SlaTier

# policy id -> (loaded at, policy); key 0 is the default policy. Tiers likewise (by id).
_POLICY_CACHE: dict[int, tuple[float, SlaPolicy | None]] = {}
_TIER_CACHE: dict[int, tuple[float, SlaTier | None]] = {}


def _policies() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.select_related("calendar").prefetch_related(
        "targets",
        Prefetch("calendar__intervals"),
        Prefetch("calendar__holidays"),
    )


def _cached(key: int, load: Callable[[], Any], cache: dict | None = None) -> Any:
    cache = _POLICY_CACHE if cache is None else cache
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and now - hit[0] < settings.SLA_POLICY_CACHE_SECONDS:
        return hit[1]
    value = load()
    cache[key] = (now, value)
    return value


def policy_get(pk: int) -> SlaPolicy:
    """A policy version with its targets and calendar, from the per-process cache (saves four
    queries per ticket created)."""
    return _cached(pk, lambda: _policies().get(pk=pk))


def with_cached_policies(clocks: Iterable[SlaClock]) -> list[SlaClock]:
    """The clocks, each holding its policy version (targets, calendar) from the per-process
    cache: the copies the engine schedules with, so reading their arithmetic costs no query."""
    clocks = list(clocks)
    for clock in clocks:
        clock.policy = policy_get(clock.policy_id)
    return clocks


def default_policy() -> SlaPolicy | None:
    """The best-effort policy for customers without a tier (cached like policy_get)."""
    return _cached(0, lambda: _policies().filter(is_default=True, is_current=True).first())


def policy_cache_clear(**_kwargs) -> None:
    _POLICY_CACHE.clear()
    _TIER_CACHE.clear()


def tier_get(pk: int) -> SlaTier | None:
    """A tier, from the per-process cache (like policy_get: a ticket created reads no tier)."""
    return _cached(pk, lambda: SlaTier.objects.filter(pk=pk).first(), _TIER_CACHE)


def _tier_of(customer, organization) -> SlaTier | None:
    """The customer's own tier, else their organization's."""
    tier_id = customer.tier_id or (organization.tier_id if organization is not None else None)
    return tier_get(tier_id) if tier_id else None


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
            return policy_get(policy_id)
    return default_policy()


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The policy a ticket is measured with (its organization as recorded on the ticket)."""
    return _policy_of(ticket.requester, ticket.organization, tier_for(ticket))


def customer_policy(customer) -> SlaPolicy | None:
    """The policy a customer's new tickets would be measured with."""
    return _policy_of(customer, customer.organization, customer_tier(customer))


def ticket_policy(ticket: Ticket) -> SlaPolicy | None:
    """The policy version the ticket is measured with: its clocks', else the current one."""
    clock = SlaClock.objects.filter(ticket=ticket).order_by("id").first()
    if clock is not None:
        return policy_get(clock.policy_id)
    return policy_for(ticket)


def calendar_spec(calendar: BusinessCalendar | None) -> CalendarSpec:
    """The calendar's spec; kept on the instance once its intervals and holidays are
    prefetched (they cannot change under it then), so the cached policies' calendars build
    theirs once per process, not once per clock."""
    if calendar is None:
        return TWENTY_FOUR_SEVEN
    held = getattr(calendar, "_prefetched_objects_cache", {})
    if "intervals" not in held or "holidays" not in held:
        return calendar.spec()
    if getattr(calendar, "_held_spec", None) is None:
        calendar._held_spec = calendar.spec()
    return calendar._held_spec


def business_deadline(*, customer, start: datetime, minutes: float) -> datetime:
    """`minutes` of business time after `start` on the calendar of the customer's policy
    (24/7 without one): follow-up delays use the same hours the customer's SLA does."""
    policy = customer_policy(customer)
    spec = calendar_spec(policy.calendar if policy is not None else None)
    return add_business_minutes(start, minutes, spec)


def target_for(policy: SlaPolicy, priority: int, metric: str) -> SlaTarget | None:
    """The policy's target for a metric at a priority (from the prefetched targets)."""
    for target in policy.targets.all():
        if target.priority == priority and target.metric == metric:
            return target
    return None


def ticket_clocks(ticket: Ticket, *metrics: str) -> QuerySet[SlaClock]:
    """The ticket's clocks (of `metrics`, when given) with what their arithmetic reads."""
    clocks = SlaClock.objects.filter(ticket=ticket).select_related("policy__calendar")
    if metrics:
        clocks = clocks.filter(metric__in=metrics)
    return clocks.prefetch_related("policy__calendar__intervals", "policy__calendar__holidays")


def tickets_clocks(ticket_ids: list[int]) -> QuerySet[SlaClock]:
    """ticket_clocks for many tickets at once (a sweep's batch), in ticket and id order."""
    clocks = SlaClock.objects.filter(ticket_id__in=ticket_ids).select_related("policy__calendar")
    return clocks.order_by("ticket_id", "id").prefetch_related(
        "policy__calendar__intervals", "policy__calendar__holidays"
    )
