"""Keeping the SLA, satisfaction, flow (backlog) and agents rollups true.

Triggers on the clocks, tickets, messages, audit events, surveys, customers and organizations
tables (migrations 0003, 0005, 0006) mark the UTC days whose counted figures may have changed
(a ticket's creation day for the SLA and its cohort figures; the day it was solved, a reply
written, a first response fulfilled, a survey sent for the others), in the writer's own
transaction, whichever code wrote (services, the ORM's `update()`, raw SQL). `rollups_refresh`
takes the marked days and recomputes, in every configured zone (REPORTS_ROLLUP_ZONES), the
local days they overlap and the months holding those. It runs from beat every
REPORTS_REFRESH_SECONDS and stamps when it began (RollupFreshness: every write committed before
that is counted); a report refreshes inline only when that stamp is older than
REPORTS_MAX_STALENESS_SECONDS (beat stopped, or the first report after a deploy), and
answers the stamp as `fresh_as_of` (`freshness` below). Only *settled* clocks are rolled up
(fulfilled, or marked breached): a running clock's state changes with the clock on the wall,
so the report reads those live (few: what is open and not yet due).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from core.cursors import script_cursor

from ..models import (
    ROLLUP_DAY,
    AgentRollup,
    FlowRollup,
    OpenRollup,
    PendingOpen,
    RetentionRollup,
    RollupZone,
    SlaRollup,
    SurveyRollup,
)
from ..params import local_midnight, next_period, period_start
from . import flow_sql, sql, success_sql

ROLLUPS = (SlaRollup, SurveyRollup, FlowRollup, PendingOpen, AgentRollup, RetentionRollup)

LOCK = 0x5EB0_0014  # the advisory lock refreshers take, one at a time


def rollup_zones() -> tuple[str, ...]:
    return tuple(settings.REPORTS_ROLLUP_ZONES)


def rollups_refresh(*, using: str = "default") -> dict[str, Any]:
    """Bring the rollups up to date with every committed write. Invariant: after it, each
    built zone's rows equal what `DAYS_INSERT` computes from the base tables now, for every
    day, except days marked by transactions that commit later (they stay marked).
    Concurrent calls: one refreshes, the others return at once (`skipped`). Returns the
    number of marked UTC days taken, the zones built and `fresh_as_of` (when it began: every
    write committed before it is counted)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return {"skipped": 1}
    with transaction.atomic(using=using), script_cursor(using) as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK])
        if not cursor.fetchone()[0]:
            return {"skipped": 1}
        cursor.execute("SET LOCAL jit = off")  # see reports.db.without_jit
        began = _stamp(cursor)  # before the marks are taken: what committed before is in
        built = _sync_zones(cursor, using)
        cursor.execute("DELETE FROM reports_rollupdirtyday RETURNING day")  # what was marked
        dirty = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(flow_sql.OPEN_DAYS_REPLACE, {"utc_days": dirty})  # zone-independent
        # nothing marked: nothing to send (planning the no-op statements alone cost ~75 ms a
        # zone at 1,000,000 tickets); marked days: one round trip per zone
        for zone in built if dirty else ():
            _recompute(cursor, zone, _local_days(dirty, zoneinfo.ZoneInfo(zone)))
    if set(rollup_zones()) - set(built):  # a zone built from scratch just now
        _analyze(using, ROLLUPS)
    return {"days": len(dirty), "zones": list(rollup_zones()), "fresh_as_of": began}


def rollups_rebuild(*, using: str = "default", only: Iterable[str] = ()) -> dict[str, int]:
    """Recompute every zone from scratch (the backfill: upgrades, benchmarks). `only` (names
    of PARTS): just those rollups, in every configured zone, which then counts as built: for
    an upgrade that adds or changes only them while the others' rows stay right (migration
    0012: agents, retention); days marked meanwhile stay marked for the next refresh."""
    if only:
        return _rebuild_parts(list(only), using)
    with transaction.atomic(using=using), script_cursor(using) as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        cursor.execute("SET LOCAL jit = off")
        _stamp(cursor)
        RollupZone.objects.using(using).all().delete()
        cursor.execute("DELETE FROM reports_rollupdirtyday")
        cursor.execute(flow_sql.OPEN_REBUILD)
        _sync_zones(cursor, using)  # no zone stored now: each is built from scratch
    _analyze(using, (*ROLLUPS, OpenRollup))
    return {"zones": len(rollup_zones())}


def _rebuild_parts(names: list[str], using: str) -> dict[str, int]:
    models = [model for name in names for model in PARTS[name][0]]
    statements = ";\n".join(s for name in names for s in PARTS[name][1])
    with transaction.atomic(using=using), script_cursor(using) as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(BOUNDS)
        first, last = cursor.fetchone()
        for zone in rollup_zones():
            tz = zoneinfo.ZoneInfo(zone)
            for model in models:
                model.objects.using(using).filter(zone=zone).delete()
            if first is not None:
                _recompute_range(
                    cursor, zone, first.astimezone(tz).date(), last.astimezone(tz).date(),
                    statements,
                )  # fmt: skip
            RollupZone.objects.using(using).get_or_create(
                zone=zone, defaults={"built_at": timezone.now()}
            )
    _analyze(using, models)
    return {"zones": len(rollup_zones())}


def _analyze(using: str, models) -> None:
    """Planner statistics for the tables a rebuild has just refilled, at once. Until
    autovacuum gets to them (if it runs at all) the planner keeps the empty table's estimate
    and picks nested loops over what are now a hundred thousand rows: the SLA year filtered
    by one tier took 0.98 s for its escalations instead of 15 ms at 1,000,000 tickets."""
    if connections[using].vendor != "postgresql":
        return
    with connections[using].cursor() as cursor:
        for model in models:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


STAMP = """
INSERT INTO reports_rollupfreshness (id, refreshed_at) VALUES (1, %s)
    ON CONFLICT (id) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at
"""
STATE = """
SELECT (SELECT refreshed_at FROM reports_rollupfreshness WHERE id = 1),
       EXISTS (SELECT 1 FROM reports_rollupzone WHERE zone = %s)
"""


def _stamp(cursor) -> datetime:
    began = timezone.now()
    cursor.execute(STAMP, [began])
    return began


def freshness(zone: str, *, using: str) -> datetime | None:
    """How fresh the rollups of `zone` are on `using` (None: not kept there, not PostgreSQL,
    or never refreshed): the last completed refresh's stamp, after refreshing inline on the
    primary if that stamp is REPORTS_MAX_STALENESS_SECONDS old or more (so 0: always).
    Fresh, this costs one query; a report then reads rows at most that stale."""
    if connections[using].vendor != "postgresql" or zone not in rollup_zones():
        return None
    fresh, built = _state(zone, using)
    max_age = timedelta(seconds=settings.REPORTS_MAX_STALENESS_SECONDS)
    if fresh is not None and built and timezone.now() - fresh < max_age:
        return fresh
    refreshed = rollups_refresh(using="default")
    if "fresh_as_of" in refreshed:  # every configured zone is built once the refresh returns
        return refreshed["fresh_as_of"]
    fresh, built = _state(zone, using)  # another refresher holds the lock: what it left
    return fresh if built else None


def _state(zone: str, using: str) -> tuple[datetime | None, bool]:
    with connections[using].cursor() as cursor:
        cursor.execute(STATE, [zone])
        fresh, built = cursor.fetchone()
    return fresh, bool(built)


def _sync_zones(cursor, using: str) -> list[str]:
    """Drop zones no longer configured; build the new ones over all tickets."""
    configured = rollup_zones()
    stored = set(RollupZone.objects.using(using).values_list("zone", flat=True))
    gone = stored - set(configured)
    if gone:
        for model in ROLLUPS:
            model.objects.using(using).filter(zone__in=gone).delete()
        RollupZone.objects.using(using).filter(zone__in=gone).delete()
    new = [zone for zone in configured if zone not in stored]
    if new:
        cursor.execute(BOUNDS)
        first, last = cursor.fetchone()
        for zone in new:
            tz = zoneinfo.ZoneInfo(zone)
            for model in ROLLUPS:
                model.objects.using(using).filter(zone=zone).delete()
            if first is not None:
                _recompute_range(
                    cursor, zone, first.astimezone(tz).date(), last.astimezone(tz).date()
                )
            RollupZone.objects.using(using).create(zone=zone, built_at=timezone.now())
    return [zone for zone in configured if zone in stored]


# the first and last instant any rollup counts by (creation, solving, replies, fulfilment,
# sending: each of them indexed)
BOUNDS = """
SELECT LEAST(t.a, t.c, s.a, m.a, k.a), GREATEST(t.b, t.d, s.b, m.b, k.b)
  FROM (SELECT min(created_at) AS a, max(created_at) AS b, min(solved_at) AS c,
               max(solved_at) AS d FROM tickets_ticket) AS t,
       (SELECT min(sent_at) AS a, max(sent_at) AS b FROM followups_survey) AS s,
       (SELECT min(created_at) AS a, max(created_at) AS b FROM tickets_message) AS m,
       (SELECT min(fulfilled_at) AS a, max(fulfilled_at) AS b FROM slas_slaclock
         WHERE metric = 'first_response' AND fulfilled_at IS NOT NULL) AS k
"""


def _local_days(utc_days: Iterable[date], zone: zoneinfo.ZoneInfo) -> list[date]:
    """The local days of `zone` that overlap the given UTC days."""
    days: set[date] = set()
    for day in utc_days:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        days.add(start.astimezone(zone).date())
        days.add((start + timedelta(days=1, microseconds=-1)).astimezone(zone).date())
    return sorted(days)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


# The rollups kept per zone, by the name `rebuild_report_rollups --only` takes: their models
# and the statements that recompute them (each month statement after its day statement).
PARTS = {
    "sla": ((SlaRollup,), (sql.DAYS_REPLACE, sql.MONTHS_REPLACE)),
    "satisfaction": ((SurveyRollup,), (sql.SURVEY_DAYS_REPLACE, sql.SURVEY_MONTHS_REPLACE)),
    "backlog": (
        (FlowRollup, PendingOpen),
        (flow_sql.FLOW_DAYS_REPLACE, flow_sql.FLOW_MONTHS_REPLACE, flow_sql.PENDING_OPEN_REPLACE),
    ),
    "agents": ((AgentRollup,), (flow_sql.AGENT_DAYS_REPLACE, flow_sql.AGENT_MONTHS_REPLACE)),
    "retention": ((RetentionRollup,), tuple(success_sql.RETENTION_REPLACE)),
}
# The twelve statements of a zone's recompute sent as one (one round trip; they run in order,
# in the refresher's transaction).
RECOMPUTE = ";\n".join(s for _, statements in PARTS.values() for s in statements)


def _recompute(cursor, zone: str, days: list[date], statements: str = RECOMPUTE) -> None:
    """Local days of `zone` from the base tables (SLA clocks by their ticket's creation,
    surveys by their sending, flow and agents by what each counts), then the months they lie
    in from the days; the retention periods holding the days and the periods after them
    (whose "active before" they are): twelve statements in one round trip."""
    tz = zoneinfo.ZoneInfo(zone)
    runs = _runs(days)
    params = {
        "zone": zone,
        "days": days,
        "starts": [local_midnight(first, tz) for first, _ in runs],
        "ends": [local_midnight(last + timedelta(days=1), tz) for _, last in runs],
        "months": sorted({day.replace(day=1) for day in days}),
        # the months' bounds, so that an index range finds their days (none: a no-op)
        "first_month": min(days, default=date.min).replace(day=1),
        "after_months": (max(days, default=date.min).replace(day=1) + timedelta(days=32)).replace(
            day=1
        ),
        **_retention_starts(days),
    }
    cursor.execute(statements, params)


def _retention_starts(days: list[date]) -> dict[str, list[date]]:
    """Per retention period kind, the periods holding the days and the ones after those."""
    out = {}
    for period in success_sql.RETENTION_PERIODS:
        starts = {period_start(day, period) for day in days}
        out[success_sql.retention_starts_param(period)] = sorted(
            starts | {next_period(start, period) for start in starts}
        )
    return out


def _recompute_range(
    cursor, zone: str, first: date, last: date, statements: str = RECOMPUTE
) -> None:
    """Every local day first..last of `zone`, a month per round (the backfill)."""
    month = first.replace(day=1)
    while month <= last:
        next_month = (month + timedelta(days=32)).replace(day=1)
        days, day = [], max(first, month)
        while day < next_month and day <= last:
            days.append(day)
            day += timedelta(days=1)
        _recompute(cursor, zone, days, statements)
        month = next_month


__all__ = ["ROLLUP_DAY", "freshness", "rollup_zones", "rollups_rebuild", "rollups_refresh"]
