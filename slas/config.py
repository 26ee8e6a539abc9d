"""SLA configuration services: calendars, tiers and versioned policies (managers' writes).

A policy is never edited in place: `policy_revise` writes a new version (same lineage) and
points tiers, organizations and customers that used the old version at the new one. Running
clocks keep the version they started with until a manager re-applies
(`slas.services.ticket_sla_reapply`), so a ticket's history stays true.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from core.errors import ConflictError
from customers.models import Customer, Organization
from tickets.models import ChannelKind

from .business_time import CalendarError, CalendarSpec, Interval, overlapping_intervals
from .models import (
    BusinessCalendar,
    BusinessInterval,
    CalendarHoliday,
    EscalationStep,
    SlaPolicy,
    SlaTarget,
    SlaTier,
)


@dataclass(frozen=True)
class IntervalInput:
    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class HolidayInput:
    date: date
    name: str = ""


@dataclass(frozen=True)
class TargetInput:
    priority: int
    metric: str
    minutes: int
    business_hours: bool = True


@dataclass(frozen=True)
class EscalationInput:
    level: int
    after_minutes: int = 0
    raise_priority: bool = True
    move_to_escalation_team: bool = False


def calendar_check(
    *,
    time_zone: str,
    always_open: bool,
    holiday_country: str,
    holiday_subdivision: str,
    intervals: Iterable[IntervalInput],
) -> None:
    """Field errors for a calendar that the arithmetic could not use (or would misread)."""
    items = [Interval.from_times(i.weekday, i.start, i.end) for i in intervals]
    errors: dict[str, list[str]] = {}
    for name, spec in (
        ("time_zone", CalendarSpec(time_zone=time_zone, always_open=True)),
        (
            "holiday_country",
            CalendarSpec(
                time_zone="UTC",
                intervals=(Interval(0, 0, 60),),
                holiday_country=holiday_country,
                holiday_subdivision=holiday_subdivision,
            ),
        ),
    ):
        try:
            spec.check()
        except CalendarError as exc:
            errors[name] = [str(exc)]
    if not always_open and not items:
        errors["intervals"] = ["A calendar needs working intervals unless it is open 24/7."]
    for index, item in enumerate(items):
        if item.start_minute == item.end_minute:
            errors[f"intervals.{index}.end"] = ["An interval must not start and end at once."]
    clashes = overlapping_intervals(items)
    if clashes:
        first, second = clashes[0]
        errors.setdefault("intervals", []).append(
            f"Intervals overlap: weekday {first.weekday} {_hm(first.start_minute)}-"
            f"{_hm(first.end_minute)} and weekday {second.weekday} "
            f"{_hm(second.start_minute)}-{_hm(second.end_minute)}."
        )
    if errors:
        raise ValidationError(errors)


def _hm(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


@transaction.atomic
def calendar_save(
    *,
    calendar: BusinessCalendar,
    name: str,
    time_zone: str = "UTC",
    always_open: bool = False,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    intervals: Iterable[IntervalInput] = (),
    holidays: Iterable[HolidayInput] = (),
) -> BusinessCalendar:
    """Create or replace a calendar. Running clocks pick the change up on their next
    recomputation (resume, priority change, re-apply); due times already set stay."""
    intervals, holidays = list(intervals), list(holidays)
    holiday_country = holiday_country.upper()
    calendar_check(
        time_zone=time_zone,
        always_open=always_open,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        intervals=intervals,
    )
    calendar.name = name
    calendar.time_zone = time_zone
    calendar.always_open = always_open
    calendar.holiday_country = holiday_country
    calendar.holiday_subdivision = holiday_subdivision
    calendar.save()
    calendar.intervals.all().delete()
    BusinessInterval.objects.bulk_create(
        BusinessInterval(calendar=calendar, weekday=i.weekday, start_time=i.start, end_time=i.end)
        for i in intervals
    )
    calendar.holidays.all().delete()
    CalendarHoliday.objects.bulk_create(
        CalendarHoliday(calendar=calendar, date=h.date, name=h.name)
        for h in {h.date: h for h in holidays}.values()
    )
    return calendar


def _check_targets(targets: list[TargetInput], escalations: list[EscalationInput]) -> None:
    errors: dict[str, list[str]] = {}
    seen: set[tuple[int, str]] = set()
    for index, target in enumerate(targets):
        if target.minutes <= 0:
            errors[f"targets.{index}.minutes"] = ["Minutes must be positive."]
        key = (target.priority, target.metric)
        if key in seen:
            errors[f"targets.{index}"] = ["One target per priority and metric."]
        seen.add(key)
    levels = sorted(step.level for step in escalations)
    if levels != list(range(1, len(levels) + 1)):
        errors["escalations"] = ["Escalation levels must be 1, 2, 3, ... without gaps."]
    if errors:
        raise ValidationError(errors)


def _write_rules(
    policy: SlaPolicy, targets: list[TargetInput], escalations: list[EscalationInput]
) -> None:
    SlaTarget.objects.bulk_create(
        SlaTarget(
            policy=policy,
            priority=t.priority,
            metric=t.metric,
            minutes=t.minutes,
            business_hours=t.business_hours,
        )
        for t in targets
    )
    EscalationStep.objects.bulk_create(
        EscalationStep(
            policy=policy,
            level=e.level,
            after_minutes=e.after_minutes,
            raise_priority=e.raise_priority,
            move_to_escalation_team=e.move_to_escalation_team,
        )
        for e in escalations
    )


def _take_default_flag(policy: SlaPolicy) -> None:
    """At most one current default policy: making one the default takes the flag."""
    SlaPolicy.objects.filter(is_default=True, is_current=True).exclude(
        lineage=policy.lineage
    ).update(is_default=False)


POLICY_FIELDS = (
    "name",
    "description",
    "calendar",
    "warn_at_percent",
    "pause_on_hold",
    "is_default",
    "escalation_team",
)


@transaction.atomic
def policy_create(
    *,
    actor=None,
    targets: Iterable[TargetInput] = (),
    escalations: Iterable[EscalationInput] = (),
    **fields: Any,
) -> SlaPolicy:
    targets, escalations = list(targets), list(escalations)
    _check_targets(targets, escalations)
    policy = SlaPolicy(created_by=actor, **{k: v for k, v in fields.items() if k in POLICY_FIELDS})
    if policy.is_default:
        _take_default_flag(policy)
    policy.save()
    _write_rules(policy, targets, escalations)
    return policy


@transaction.atomic
def policy_revise(
    *,
    policy: SlaPolicy,
    actor=None,
    targets: Iterable[TargetInput] | None = None,
    escalations: Iterable[EscalationInput] | None = None,
    **changes: Any,
) -> SlaPolicy:
    """Write the edited policy as a new version; the old version stays for the clocks that
    use it. Tiers, organizations and customers on the old version move to the new one."""
    old = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    if not old.is_current:
        raise ConflictError(
            f"{old} is not the current version of this policy; edit the current one.",
            code="stale_version",
        )
    if targets is None:
        targets = [
            TargetInput(t.priority, t.metric, t.minutes, t.business_hours)
            for t in old.targets.all()
        ]
    if escalations is None:
        escalations = [
            EscalationInput(e.level, e.after_minutes, e.raise_priority, e.move_to_escalation_team)
            for e in old.escalations.all()
        ]
    targets, escalations = list(targets), list(escalations)
    _check_targets(targets, escalations)
    values = {name: getattr(old, name) for name in POLICY_FIELDS}
    values.update({k: v for k, v in changes.items() if k in POLICY_FIELDS})
    old.is_current = False
    old.is_default = False
    old.save(update_fields=["is_current", "is_default"])
    new = SlaPolicy(lineage=old.lineage, version=old.version + 1, created_by=actor, **values)
    if new.is_default:
        _take_default_flag(new)
    new.save()
    _write_rules(new, targets, escalations)
    SlaTier.objects.filter(policy=old).update(policy=new)
    Organization.objects.filter(sla_policy=old).update(sla_policy=new)
    Customer.objects.filter(sla_policy=old).update(sla_policy=new)
    return new


def current_policies() -> QuerySet[SlaPolicy]:
    """The policy versions that may be chosen for a tier, an organization or a customer: the
    current version of each lineage (older versions are history that running clocks keep).
    The API's choices and lists and the admin's dropdowns all read this one rule."""
    return SlaPolicy.objects.filter(is_current=True)


def policy_check_current(policy: SlaPolicy | None, field: str = "policy") -> None:
    """Refuse an old policy version where a policy is chosen (see `current_policies`)."""
    if policy is not None and not current_policies().filter(pk=policy.pk).exists():
        raise ValidationError({field: [f"{policy} is an old version; use the current one."]})


def tier_channels_check(channels: object) -> list[str]:
    """The channels a tier serves: a list of known channel kinds, each once. Returns them;
    raises ValidationError (field `channels`) otherwise. The API and the admin both call it."""
    if not isinstance(channels, list | tuple):
        raise ValidationError({"channels": ["A list of channel kinds is expected."]})
    known = set(ChannelKind.values)
    unknown = [c for c in channels if c not in known]
    if unknown:
        kinds = ", ".join(ChannelKind.values)
        raise ValidationError(
            {"channels": [f"Unknown channel kind {unknown[0]!r}; use one of {kinds}."]}
        )
    if len(set(channels)) != len(channels):
        raise ValidationError({"channels": ["List each channel once."]})
    return list(channels)


@transaction.atomic
def tier_save(*, tier: SlaTier, **fields: Any) -> SlaTier:
    """Create or change a tier; its policy must be a current version and its channels known
    kinds, each once."""
    policy_check_current(fields.get("policy"))
    if "channels" in fields:
        fields["channels"] = tier_channels_check(fields["channels"])
    for name, value in fields.items():
        setattr(tier, name, value)
    tier.save()
    return tier
