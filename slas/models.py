"""SLA configuration (calendars, tiers, versioned policies, targets, escalation steps) and the
per-ticket clocks that measure a ticket against the policy version it started with."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from tickets.models import Priority

from .business_time import TWENTY_FOUR_SEVEN, CalendarSpec, Interval


class BusinessCalendar(models.Model):
    """Working time: an IANA time zone, weekly intervals and holidays, or 24/7."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA, e.g. Europe/Berlin")
    always_open = models.BooleanField(default=False, help_text="24/7: no intervals, no holidays.")
    holiday_country = models.CharField(
        max_length=3, blank=True, help_text="ISO country code for the `holidays` package."
    )
    holiday_subdivision = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def spec(self) -> CalendarSpec:
        """The pure value the arithmetic works on; reads prefetched intervals/holidays."""
        if self.always_open:
            return TWENTY_FOUR_SEVEN
        return CalendarSpec(
            time_zone=self.time_zone,
            intervals=tuple(
                Interval.from_times(i.weekday, i.start_time, i.end_time)
                for i in self.intervals.all()
            ),
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
            custom_holidays=frozenset(h.date for h in self.holidays.all()),
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessInterval(models.Model):
    """Working time on a weekday; an end not after the start runs overnight (end 00:00 is
    midnight)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class CalendarHoliday(models.Model):
    """A custom closed day (company holiday) on top of the country's public holidays."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets with a calendar. Versioned: an edit creates a new row with the same `lineage`
    and a higher `version`; clocks keep the row they started with, so history stays true."""

    lineage = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="policies"
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        default=75, help_text="Warn when this share of a target is used up."
    )
    pause_on_hold = models.BooleanField(
        default=True, help_text="Resolution pauses while on hold (it always does when pending)."
    )
    is_default = models.BooleanField(
        default=False, help_text="Best effort: measures tickets of customers without a tier."
    )
    escalation_team = models.ForeignKey(
        "tickets.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["lineage", "version"], name="policy_version_unique"),
            models.UniqueConstraint(
                fields=["lineage"], condition=Q(is_current=True), name="policy_one_current"
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True, is_current=True),
                name="policy_one_default",
            ),
            models.CheckConstraint(
                condition=Q(warn_at_percent__gte=1, warn_at_percent__lte=99),
                name="policy_warn_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"
    PERIODIC_UPDATE = "periodic_update", "Periodic update"


class SlaTarget(models.Model):
    """How long a metric may take at a priority, in business or calendar minutes."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(
        default=True, help_text="Count the policy calendar's working time (else calendar time)."
    )

    class Meta:
        ordering = ["metric", "-priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority", "metric"], name="target_once_per_priority_metric"
            ),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="target_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {Priority(self.priority).label}: {self.minutes} min"


class EscalationStep(models.Model):
    """What happens after a breach: level 1 after `after_minutes`, then level 2, ..."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    after_minutes = models.PositiveIntegerField(
        default=0, help_text="Calendar minutes after the breach."
    )
    raise_priority = models.BooleanField(default=True)
    move_to_escalation_team = models.BooleanField(default=False)

    class Meta:
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="escalation_level_unique"),
        ]

    def __str__(self) -> str:
        return f"level {self.level} after {self.after_minutes} min"


class SlaTier(models.Model):
    """A plan in the hybrid model, from self-service (low rank) to individual service (high)."""

    name = models.CharField(max_length=100, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="Higher is more hands-on.")
    description = models.TextField(blank=True)
    channels = models.JSONField(
        default=list, blank=True, help_text="Channel kinds the tier serves (email, chat, ...)."
    )
    self_service = models.BooleanField(
        default=True, help_text="Knowledge base and community are part of the plan."
    )
    self_service_url = models.URLField(blank=True)
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="tiers"
    )

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class SlaClock(models.Model):
    """One row per ticket and metric. Running = not fulfilled and not paused.

    `consumed_minutes` is the (business) time used before the current running segment, which
    began at `segment_started_at`; due and warn times are recomputed from it whenever the
    target changes (priority, tier, re-applied policy) or the clock resumes. Warning, breach
    and escalation steps are applied by sweeps, once each: the state is on this row.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks"
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    target_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    segment_started_at = models.DateTimeField()
    consumed_minutes = models.FloatField(default=0)
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    paused_since = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ticket", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="clock_once_per_metric"),
        ]
        indexes = [
            # Each sweep reads only its partial index: the cost is what is due.
            models.Index(
                fields=["warn_at"],
                name="clock_warn_due_idx",
                condition=Q(
                    warned_at__isnull=True,
                    breached_at__isnull=True,
                    fulfilled_at__isnull=True,
                    paused_since__isnull=True,
                ),
            ),
            models.Index(
                fields=["due_at"],
                name="clock_breach_due_idx",
                condition=Q(
                    breached_at__isnull=True, fulfilled_at__isnull=True, paused_since__isnull=True
                ),
            ),
            models.Index(
                fields=["next_escalation_at"],
                name="clock_escalation_due_idx",
                condition=Q(next_escalation_at__isnull=False),
            ),
            # The few tickets breached / at risk now: `sla_state` filters and the queue's
            # `sla_breached` read these instead of scanning every clock.
            # reports: the running clocks (neither fulfilled nor marked breached) the SLA
            # report reads live next to its rollups (issue 14 part 6)
            models.Index(
                fields=["ticket"],
                name="clock_unsettled_idx",
                condition=Q(fulfilled_at__isnull=True, breached_at__isnull=True),
            ),
            models.Index(
                fields=["ticket"],
                name="clock_breached_running_idx",
                condition=Q(breached_at__isnull=False, fulfilled_at__isnull=True),
            ),
            # reports: first responses by the time they were fulfilled (the agents' rollup
            # recomputes a day from these)
            models.Index(
                fields=["fulfilled_at"],
                name="clock_first_response_done_idx",
                condition=Q(metric="first_response", fulfilled_at__isnull=False),
            ),
            models.Index(
                fields=["ticket"],
                name="clock_at_risk_idx",
                condition=Q(
                    warned_at__isnull=False,
                    breached_at__isnull=True,
                    fulfilled_at__isnull=True,
                    paused_since__isnull=True,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} of #{self.ticket_id}"

    @property
    def running(self) -> bool:
        return self.fulfilled_at is None and self.paused_since is None
