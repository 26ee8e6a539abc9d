"""Rows the reports keep for themselves (they read every other app's tables, write only these).

An at-risk *episode* is the history the customer-health row does not keep: CustomerHealth holds
the current flag only (cleared when the customer recovers), so "how many customers were flagged
and how many recovered each week, and why" needs its own rows. `reports.services` keeps them
from the health rows (a sweep; see `at_risk_episodes_sync`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class AtRiskEpisode(models.Model):
    """One stretch of time a customer was flagged at risk: from the flag to the recovery."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="at_risk_episodes"
    )
    flagged_at = models.DateTimeField()
    recovered_at = models.DateTimeField(null=True, blank=True)
    # The poor-experience kinds that flagged the customer (ExperienceKind values), once each.
    causes = models.JSONField(default=list, blank=True)
    # The customer's tier when flagged (customer's own, else the organization's).
    tier = models.ForeignKey(
        "slas.SlaTier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-flagged_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "flagged_at"], name="at_risk_episode_once_per_flag"
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(recovered_at__isnull=True),
                name="at_risk_episode_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["flagged_at"], name="at_risk_episode_flagged_idx"),
            models.Index(
                fields=["recovered_at"],
                name="at_risk_episode_recovered_idx",
                condition=Q(recovered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id} at risk from {self.flagged_at:%Y-%m-%d}"


# --- rollups of the SLA report (reports/rollups/) ---------------------------------------------

ROLLUP_DAY, ROLLUP_MONTH = 0, 1
# the rollups' read key: the cuboid, then the filter columns (checked in the index)
ROLLUP_KEY_FIELDS = ["zone", "grain", "day", "cuboid", "tier_id", "channel", "team_id", "priority"]


class SlaRollup(models.Model):
    """Settled SLA clocks (fulfilled, or marked breached) counted per local day or month of
    their ticket's creation in one time zone, per metric and escalation level, overall (cuboid
    0), by one dimension (cuboid: 8 tier, 4 channel, 2 team, 1 priority) or by all four
    (cuboid 15: the rows a filtered report sums over), with a histogram
    of business (`bNN`) and calendar (`cNN`) minutes of the fulfilled ones (bins:
    reports/rollups/bins.py). Written only by reports.rollups.refresh; see that module."""

    zone = models.CharField(max_length=64)
    grain = models.PositiveSmallIntegerField()  # ROLLUP_DAY or ROLLUP_MONTH
    day = models.DateField()  # the local day, or the month's first day
    cuboid = models.PositiveSmallIntegerField()
    tier_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20, null=True)
    team_id = models.BigIntegerField(null=True)
    priority = models.PositiveSmallIntegerField(null=True)
    metric = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField()
    met = models.IntegerField(default=0)
    breached = models.IntegerField(default=0)
    for _i in range(76):  # == rollups.bins.BINS (a test checks it)
        locals()[f"b{_i:02d}"] = models.IntegerField(default=0)
        locals()[f"c{_i:02d}"] = models.IntegerField(default=0)
    del _i

    class Meta:
        indexes = [
            # the filter columns too: a filtered read checks them in the index and fetches
            # only the full-key rows that match (not every one of the window's days)
            models.Index(
                fields=ROLLUP_KEY_FIELDS,
                name="sla_rollup_key_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.day} cuboid {self.cuboid} {self.metric}"


class RollupDirtyDay(models.Model):
    """A UTC day whose tickets' clocks changed since the rollups were computed: written by
    database triggers (every write, ORM or SQL) in the writer's transaction, taken and
    recomputed by reports.rollups.refresh."""

    day = models.DateField(primary_key=True)

    def __str__(self) -> str:
        return f"dirty {self.day}"


class RollupZone(models.Model):
    """A time zone the rollups are kept in (REPORTS_ROLLUP_ZONES), once it has been built."""

    zone = models.CharField(max_length=64, primary_key=True)
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.zone


class RollupFreshness(models.Model):
    """One row (id 1): when the last completed refresh began. Every write committed before
    `refreshed_at` is in the rollups (the refresh takes the marked days after it). Reports
    read it to decide whether to refresh inline (older than REPORTS_MAX_STALENESS_SECONDS)
    and answer it as `fresh_as_of`. Written only by reports.rollups.refresh."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"rollups fresh as of {self.refreshed_at:%Y-%m-%d %H:%M:%S}"


class SurveyRollup(models.Model):
    """Surveys counted per local day or month of their sending in one time zone, overall
    (cuboid 0), by one dimension of their ticket (cuboid: 8 tier, 4 channel, 2 team,
    1 agent = assignee) or by all four (cuboid 15: what a filtered report sums over): sent,
    answered, and the answers' counts and sums (averages are sum / count, exactly as AVG).
    Written only by reports.rollups.refresh."""

    zone = models.CharField(max_length=64)
    grain = models.PositiveSmallIntegerField()  # ROLLUP_DAY or ROLLUP_MONTH
    day = models.DateField()
    cuboid = models.PositiveSmallIntegerField()
    tier_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20, null=True)
    team_id = models.BigIntegerField(null=True)
    agent_id = models.BigIntegerField(null=True)
    sent = models.IntegerField(default=0)
    answers = models.IntegerField(default=0)
    csat_answers = models.IntegerField(default=0)
    csat_sum = models.BigIntegerField(default=0)
    ces_answers = models.IntegerField(default=0)
    ces_sum = models.BigIntegerField(default=0)
    nps_answers = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["zone", "grain", "day", "cuboid"], name="survey_rollup_cuboid_idx")
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.day} cuboid {self.cuboid}"


class FlowRollup(models.Model):
    """The backlog report's flow per local day or month in one time zone, by every dimension at
    once (tier, channel, team, priority: a filter is a WHERE on the key, a breakdown a GROUP
    BY): tickets created that day and, of those, resolved (solved or closed now), reopened,
    ever solved and solved at one touch; and tickets solved that day (by `solved_at`).
    Written only by reports.rollups.refresh."""

    zone = models.CharField(max_length=64)
    grain = models.PositiveSmallIntegerField()  # ROLLUP_DAY or ROLLUP_MONTH
    day = models.DateField()
    tier_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20, null=True)
    team_id = models.BigIntegerField(null=True)
    priority = models.PositiveSmallIntegerField(null=True)
    created = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    ever_solved = models.IntegerField(default=0)
    one_touch = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    # of the tickets created that day, those that were pending and are not now (every pending
    # stretch closed): how many, their pending minutes summed and as a histogram (`pNN`, bins:
    # reports/rollups/bins.py); those pending now are PendingOpen rows
    pending_tickets = models.IntegerField(default=0)
    pending_minutes = models.FloatField(default=0)
    for _i in range(76):  # == rollups.bins.BINS
        locals()[f"p{_i:02d}"] = models.IntegerField(default=0)
    del _i

    class Meta:
        indexes = [models.Index(fields=["zone", "grain", "day"], name="flow_rollup_day_idx")]

    def __str__(self) -> str:
        return f"{self.zone} {self.day} flow"


class AgentRollup(models.Model):
    """The agents' report per local day or month in one time zone, per agent, overall (cuboid
    0), by one dimension of the ticket (cuboid: 8 tier, 4 channel, 2 team, 1 priority) or by
    all four (cuboid 15: the rows a report filtered by two dimensions or more sums):
    tickets solved as assignee (by `solved_at`), public replies written (by the message's
    time), first responses of their tickets (by the clock's fulfilment) with histograms of
    business (`bNN`) and calendar (`cNN`) minutes, surveys of their tickets (by sending) with
    the CSAT answers' count and sum. Written only by reports.rollups.refresh."""

    zone = models.CharField(max_length=64)
    grain = models.PositiveSmallIntegerField()  # ROLLUP_DAY or ROLLUP_MONTH
    day = models.DateField()
    cuboid = models.PositiveSmallIntegerField()
    agent_id = models.BigIntegerField()
    tier_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20, null=True)
    team_id = models.BigIntegerField(null=True)
    priority = models.PositiveSmallIntegerField(null=True)
    solved = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)
    first_responses = models.IntegerField(default=0)
    surveys_sent = models.IntegerField(default=0)
    csat_answers = models.IntegerField(default=0)
    csat_sum = models.BigIntegerField(default=0)
    for _i in range(76):  # == rollups.bins.BINS
        locals()[f"b{_i:02d}"] = models.IntegerField(default=0)
        locals()[f"c{_i:02d}"] = models.IntegerField(default=0)
    del _i

    class Meta:
        indexes = [
            # (as the SLA rollup's: the cuboid, then the filter columns checked in the index)
            models.Index(
                fields=ROLLUP_KEY_FIELDS,
                name="agent_rollup_key_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.day} agent {self.agent_id}"


class OpenRollup(models.Model):
    """Open tickets now (new, open, pending, on hold) counted per UTC day of their creation and
    every dimension (status, tier, team, channel, priority): the backlog's "open now" reads
    these for the days that lie wholly in one age bucket and the tickets of the few days an
    age boundary cuts, live. One copy for every zone (ages do not depend on the zone).
    Written only by reports.rollups.refresh."""

    day = models.DateField()  # UTC
    status = models.CharField(max_length=20)
    tier_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20, null=True)
    priority = models.PositiveSmallIntegerField(null=True)
    tickets = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="open_rollup_day_idx")]

    def __str__(self) -> str:
        return f"open {self.day} {self.status}"


class PendingOpen(models.Model):
    """A ticket pending now (its last status change is to pending), per local day of its
    creation in one zone, with the minutes of its closed pending stretches and when the open
    one began: the backlog adds `now - open_since` at read time. Few: the tickets waiting on
    their customers now. Written only by reports.rollups.refresh."""

    zone = models.CharField(max_length=64)
    day = models.DateField()
    tier_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20, null=True)
    team_id = models.BigIntegerField(null=True)
    priority = models.PositiveSmallIntegerField(null=True)
    ticket_id = models.BigIntegerField()
    closed_minutes = models.FloatField(default=0)
    open_since = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["zone", "day"], name="pending_open_day_idx")]

    def __str__(self) -> str:
        return f"{self.zone} {self.day} pending #{self.ticket_id}"


class RetentionRollup(models.Model):
    """The success report's retention proxy per period (day, week or month, local to one zone)
    and tier: the customers who opened a reactive ticket in the period (`active`), counted on
    the local day of their first such ticket in it (`day`), and of those, the ones who had
    also opened one in the period before (`returned`). So a period's active customers are
    the sum over its days, and those active again by a day inside it the sum up to that day
    (a window ending mid-period). Tier: the customer's own, else its organization's.
    Written only by reports.rollups.refresh."""

    zone = models.CharField(max_length=64)
    period = models.CharField(max_length=5)  # day, week or month
    start = models.DateField()  # the period's first local day
    day = models.DateField()
    tier_id = models.BigIntegerField(null=True)
    active = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["zone", "period", "start"], name="retention_rollup_period_idx")
        ]

    def __str__(self) -> str:
        return f"{self.zone} {self.period} {self.start} retention"
