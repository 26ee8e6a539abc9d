"""The SLA report from the rollups (reports/rollups/): the settled clocks' counts and duration
histograms summed over the window's local days and months, plus the running clocks read live.
Same answer as the base-table query (reports/selectors/sla.py) except that percentiles come
from histogram bins (their resolution: reports/rollups/bins.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from slas.models import SlaClock

from ..db import without_jit
from ..models import ROLLUP_DAY, ROLLUP_MONTH
from ..params import ReportQuery, next_period
from ..rollups import bins
from ..rollups.refresh import freshness
from ..rollups.sql import BUSINESS, CALENDAR, CUBOID_BITS, FULL, KEY

WINDOW = "window"
DIMENSION_COLUMN = {
    "tier": "tier_id",
    "channel": "channel",
    "team": "team_id",
    "priority": "priority",
}
# (the window's rows of every one-dimension cuboid, the periods' overall rows: each an index
# condition on sla_rollup_cuboid_idx, so that the full-key rows are never fetched here)
READ_SQL = """
WITH seg(grain, day, target) AS (VALUES {values})
SELECT r.cuboid, r.tier_id, r.channel, r.team_id, r.priority, seg.target, r.metric,
       SUM(r.met), SUM(r.breached), {sums}
  FROM reports_slarollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND seg.target = 'window' AND r.cuboid IN (0, 8, 4, 2, 1)
 GROUP BY r.cuboid, r.tier_id, r.channel, r.team_id, r.priority, seg.target, r.metric
 UNION ALL
SELECT r.cuboid, NULL, NULL, NULL, NULL, seg.target, r.metric,
       SUM(r.met), SUM(r.breached), {sums}
  FROM reports_slarollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND seg.target <> 'window' AND r.cuboid = 0
 GROUP BY r.cuboid, seg.target, r.metric
"""
ESCALATION_SQL = """
WITH seg(grain, day) AS (VALUES {values})
SELECT r.tier_id, r.level, SUM(r.breached)
  FROM reports_slarollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND r.cuboid = 8
 GROUP BY r.tier_id, r.level
"""
# Filtered: the rows of every dimension at once (cuboid FULL) matching the filters, summed
# overall and per dimension in the read (GROUPING gives the rows the cuboid of an unfiltered
# read), like the flow rollup; the periods' rows (the series: overall only) apart, so that
# only the window's rows are grouped five ways, and from that dimension's own rows when one
# filter is given (`series_cuboid`: a day's few rows instead of its full-key rows).
FILTERED_READ_SQL = """
WITH seg(grain, day, target) AS (VALUES {values})
SELECT 15 - GROUPING(r.tier_id, r.channel, r.team_id, r.priority),
       r.tier_id, r.channel, r.team_id, r.priority, seg.target, r.metric,
       SUM(r.met), SUM(r.breached), {sums}
  FROM reports_slarollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND r.cuboid = {full} {filters} AND seg.target = 'window'
 GROUP BY GROUPING SETS ((seg.target, r.metric), (seg.target, r.metric, r.tier_id),
                         (seg.target, r.metric, r.channel), (seg.target, r.metric, r.team_id),
                         (seg.target, r.metric, r.priority))
 UNION ALL
SELECT 0, NULL, NULL, NULL, NULL, seg.target, r.metric, SUM(r.met), SUM(r.breached), {sums}
  FROM reports_slarollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND r.cuboid = {series} {filters} AND seg.target <> 'window'
 GROUP BY seg.target, r.metric
"""
FILTERED_ESCALATION_SQL = """
WITH seg(grain, day) AS (VALUES {values})
SELECT r.tier_id, r.level, SUM(r.breached)
  FROM reports_slarollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND r.cuboid = {full} {filters}
 GROUP BY r.tier_id, r.level
"""
SLA_FILTER_COLUMNS = {**DIMENSION_COLUMN}  # tier, channel, team, priority: the full key


def series_cuboid(query: ReportQuery, bits: dict[str, int]) -> int:
    """The cuboid a filtered series reads: the filter's own dimension's when it is the only
    one, else the full-key rows."""
    given = [name for name in bits if getattr(query, name)]
    return bits[given[0]] if len(given) == 1 else FULL


def rollup_filters(query: ReportQuery, columns: dict[str, str]) -> tuple[str, list] | None:
    """(SQL conditions on the full-key rows, their parameters) for the query's filters, or
    None when one is not among `columns` (that report then reads the base tables)."""
    given = [n for n in ("tier", "team", "channel", "priority", "agent") if getattr(query, n)]
    if any(name not in columns for name in given):
        return None
    sql = "".join(f" AND r.{columns[name]} = %s" for name in given)
    return sql, [getattr(query, name) for name in given]


def rollups_answer(
    query: ReportQuery, db: str, columns: dict[str, str] | None = None
) -> datetime | None:
    """Whether the rollups hold this question: its filters among `columns` (the SLA rollup's
    key by default: tier, team, channel, priority; not agent), a zone they are kept in,
    PostgreSQL; if so, how fresh they are (`rollups_ready`)."""
    if rollup_filters(query, columns or SLA_FILTER_COLUMNS) is None:
        return None
    return rollups_ready(query, db)


def rollups_ready(query: ReportQuery, db: str) -> datetime | None:
    """When the rollups of the query's zone were last refreshed (None: they do not hold it:
    not PostgreSQL, not a zone of REPORTS_ROLLUP_ZONES): at most REPORTS_MAX_STALENESS_SECONDS
    ago, refreshing them inline (on the primary) when older (reports.rollups.refresh)."""
    return freshness(query.tz, using=db)


def fresh_as_of(rolled: datetime | None) -> str:
    """The `fresh_as_of` of a report: every write committed before it is counted (the
    rollups' refresh stamp when they answered, else the moment of the read: live)."""
    return (rolled or timezone.now()).isoformat()


def segments(first: date, last: date) -> list[tuple[int, date]]:
    """Rollup rows covering the local days first..last: whole months as month rows."""
    parts: list[tuple[int, date]] = []
    day = first
    while day <= last:
        month_end = (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if day.day == 1 and month_end <= last:
            parts.append((ROLLUP_MONTH, day))
            day = month_end + timedelta(days=1)
        else:
            parts.append((ROLLUP_DAY, day))
            day += timedelta(days=1)
    return parts


def _targets(query: ReportQuery) -> list[tuple[int, date, str]]:
    rows = [(grain, day, WINDOW) for grain, day in segments(query.since, query.until)]
    for start in query.periods():
        first = max(start, query.since)
        last = min(next_period(start, query.period) - timedelta(days=1), query.until)
        rows += [(grain, day, start.isoformat()) for grain, day in segments(first, last)]
    return rows


def _values(rows: list[tuple], params: list) -> str:
    casts = ("%s::smallint", "%s::date", "%s::text")
    out = []
    for row in rows:
        out.append("(" + ", ".join(casts[i] for i in range(len(row))) + ")")
        params.extend(row)
    return ", ".join(out)


def sla_grouped_from_rollups(clocks: QuerySet, query: ReportQuery, db: str, live) -> tuple:
    """(grouped, escalations) in the shape of the base-table query: rollups + live clocks."""
    targets = _targets(query)
    params: list = []
    sums = ", ".join(f"SUM(r.{c})" for c in (*BUSINESS, *CALENDAR))
    filters, filter_params = rollup_filters(query, SLA_FILTER_COLUMNS) or ("", [])
    read, escalation = (
        (FILTERED_READ_SQL, FILTERED_ESCALATION_SQL) if filters else (READ_SQL, ESCALATION_SQL)
    )
    sql = read.format(
        values=_values(targets, params),
        sums=sums,
        full=FULL,
        filters=filters,
        series=series_cuboid(query, CUBOID_BITS),
    )
    grouped: dict[str, dict] = defaultdict(dict)
    with without_jit(db), connections[db].cursor() as cursor:
        # (the filtered read's two parts each take the zone and the filters)
        tail = [query.tz, *filter_params] * 2
        cursor.execute(sql, [*params, *tail])
        for row in cursor.fetchall():
            which, key = _which(row, query)
            grouped[which][(row[6], key)] = _counts(row)
        escalation_params: list = []
        window = [(g, d) for g, d, t in targets if t == WINDOW]
        cursor.execute(
            escalation.format(
                values=_values(window, escalation_params), full=FULL, filters=filters
            ),
            [*escalation_params, query.tz, *filter_params],
        )
        escalations = [tuple(r) for r in cursor.fetchall()]

    # the running clocks (neither fulfilled nor marked breached), live
    # (their ids first, from the partial index clock_unsettled_idx: the planner, which cannot
    # tell how few they are, would otherwise hash every ticket of the window to find them)
    running = Q(fulfilled_at__isnull=True, breached_at__isnull=True)
    ids = list(SlaClock.objects.using(db).filter(running).values_list("pk", flat=True))
    # (no id: -1, none such, so that the query still runs: the same queries whatever the data)
    live_grouped, live_escalations = live(clocks.filter(running, pk__in=ids or [-1]), query, db)
    for which, rows in live_grouped.items():
        for row in rows:
            cell = grouped[which].setdefault((row["metric"], row.get("key")), _counts(None))
            cell["breached"] += row["breached"]
            cell["running"] += row["running"]
    escalations += list(live_escalations)
    return {which: _rows(cells) for which, cells in _with_all_sets(grouped).items()}, escalations


def _which(row: tuple, query: ReportQuery) -> tuple[str, object]:
    cuboid, target = row[0], row[5]
    if cuboid == 0:
        return ("all", None) if target == WINDOW else ("period", target)
    dimension = next(d for d, bit in CUBOID_BITS.items() if bit == cuboid)
    return dimension, row[KEY.index(DIMENSION_COLUMN[dimension])]


def _counts(row: tuple | None) -> dict:
    if row is None:
        return {"met": 0, "breached": 0, "running": 0, "business": [0] * bins.BINS,
                "calendar": [0] * bins.BINS}  # fmt: skip
    return {
        "met": int(row[7]),
        "breached": int(row[8]),
        "running": 0,
        "business": [int(v) for v in row[9 : 9 + bins.BINS]],
        "calendar": [int(v) for v in row[9 + bins.BINS :]],
    }


def _with_all_sets(grouped: dict) -> dict:
    return {name: grouped.get(name, {}) for name in ("all", *CUBOID_BITS, "period")}


def _rows(cells: dict) -> list[dict]:
    return [
        {
            "metric": metric,
            "key": key,
            "met": c["met"],
            "breached": c["breached"],
            "running": c["running"],
            "business_p50": bins.percentile(c["business"], 0.5),
            "business_p90": bins.percentile(c["business"], 0.9),
            "calendar_p50": bins.percentile(c["calendar"], 0.5),
            "calendar_p90": bins.percentile(c["calendar"], 0.9),
        }
        for (metric, key), c in cells.items()
    ]
