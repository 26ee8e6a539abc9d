"""The backlog's flow and the agents' report from their rollups (reports/rollups/flow_sql.py):
counts summed over the window's local days and months, filters as a WHERE on the rollup key.
The flow rollup keys every dimension at once (any combination of filters); the agents rollup
keys the agent with at most one dimension (one filter) and with all four (two filters or more)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connections
from django.db.models import Q

from ..db import without_jit
from ..params import ReportQuery
from ..rollups import bins
from ..rollups.flow_sql import BUSINESS, CALENDAR, FLOW_SUMS, PENDING_BINS
from ..rollups.sql import CUBOID_BITS, FULL
from .common import AGE_BUCKETS, _round
from .sla_rollup import WINDOW, _targets, _values, segments

FILTER_COLUMNS = {
    "tier": "tier_id",
    "channel": "channel",
    "team": "team_id",
    "priority": "priority",
}

# The window's totals (every column) and the periods' series (created and solved only: a
# year of day periods is ~300 rows a day, and summing the pending bins over those would cost
# more than the rest of the report), one statement.
FLOW_SQL = """
WITH seg(grain, day, target) AS (VALUES {values})
SELECT seg.target, {sums}
  FROM reports_flowrollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND seg.target = 'window' {filters}
 GROUP BY seg.target
 UNION ALL
SELECT seg.target, {series}
  FROM reports_flowrollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND seg.target <> 'window' {filters}
 GROUP BY seg.target
"""
AGENTS_SQL = """
WITH seg(grain, day) AS (VALUES {values})
SELECT r.agent_id, SUM(r.solved), SUM(r.replies), SUM(r.first_responses), SUM(r.surveys_sent),
       SUM(r.csat_answers), SUM(r.csat_sum), {sums}
  FROM reports_agentrollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND r.cuboid = %s {filters}
 GROUP BY r.agent_id
"""


def _filters(query: ReportQuery) -> tuple[str, list]:
    names = [name for name in FILTER_COLUMNS if getattr(query, name)]
    sql = "".join(f" AND r.{FILTER_COLUMNS[name]} = %s" for name in names)
    return sql, [getattr(query, name) for name in names]


def flow_from_rollups(query: ReportQuery, db: str) -> tuple[dict[str, dict], dict[str, int]]:
    """(created and solved per period key, the window's cohort figures with `pending_bins`, the
    settled pending tickets' histogram): one query."""
    params: list = []
    targets = _targets(query)
    filters, filter_params = _filters(query)
    columns = (*FLOW_SUMS, *PENDING_BINS)
    sql = FLOW_SQL.format(
        values=_values(targets, params),
        sums=", ".join(f"SUM(r.{c})" for c in columns),
        series=", ".join(f"SUM(r.{c})" if c in ("created", "solved") else "0" for c in columns),
        filters=filters,
    )
    rows: dict[str, dict] = {}
    with without_jit(db), connections[db].cursor() as cursor:
        cursor.execute(sql, [*params, query.tz, *filter_params, query.tz, *filter_params])
        for row in cursor.fetchall():
            figures = dict(zip(FLOW_SUMS, row[1 : 1 + len(FLOW_SUMS)], strict=True))
            figures["pending_bins"] = [int(v) for v in row[1 + len(FLOW_SUMS) :]]
            rows[row[0]] = figures
    empty = {**dict.fromkeys(FLOW_SUMS, 0), "pending_bins": [0] * bins.BINS}
    totals = rows.pop(WINDOW, empty)
    series = {key: {"created": r["created"], "solved": r["solved"]} for key, r in rows.items()}
    return series, totals


PENDING_OPEN_SQL = """
SELECT r.closed_minutes + EXTRACT(EPOCH FROM (%s - r.open_since))::float8 / 60.0
  FROM reports_pendingopen r
 WHERE r.zone = %s AND r.day >= %s AND r.day <= %s {filters}
"""


def pending_from_rollups(query: ReportQuery, db: str, totals: dict, now: datetime) -> dict:
    """Pending time of the window's tickets: the settled ones (every stretch closed) from the
    flow rollup's sum and histogram, those pending now from their PendingOpen rows up to
    `now` (one query). p50/p90 from the bins (reports/rollups/bins.py)."""
    filters, filter_params = _filters(query)
    with connections[db].cursor() as cursor:
        cursor.execute(
            PENDING_OPEN_SQL.format(filters=filters),
            [now, query.tz, query.since, query.until, *filter_params],
        )
        live = [row[0] for row in cursor.fetchall()]
    counts = list(totals["pending_bins"])
    for minutes in live:
        counts[bins.bin_of(minutes)] += 1
    tickets = int(totals["pending_tickets"]) + len(live)
    total = float(totals["pending_minutes"]) + sum(live)
    return {
        "tickets": tickets,
        "total_minutes": round(total, 1) if tickets else None,
        "p50_minutes": _round(bins.percentile(counts, 0.5)),
        "p90_minutes": _round(bins.percentile(counts, 0.9)),
    }


def agents_rollup_cuboid(query: ReportQuery) -> int | None:
    """The agents rollup's cuboid holding this query: none or one filter, that dimension's
    rows; two or more, the full-key rows (FULL) matching them (None: an agent filter, which
    the base query applies to the replies' tickets too)."""
    names = [name for name in FILTER_COLUMNS if getattr(query, name)]
    if query.agent:
        return None
    if len(names) > 1:
        return FULL
    return CUBOID_BITS[names[0]] if names else 0


def agents_from_rollups(query: ReportQuery, db: str, cuboid: int) -> dict[int, dict]:
    """Per agent id: solved, replies, first responses with p50 business and calendar minutes
    (from the histograms: reports/rollups/bins.py), surveys and CSAT answers: one query."""
    params: list = []
    filters, filter_params = _filters(query)
    sql = AGENTS_SQL.format(
        values=_values(segments(query.since, query.until), params),
        sums=", ".join(f"SUM(r.{c})" for c in (*BUSINESS, *CALENDAR)),
        filters=filters,
    )
    out = {}
    with without_jit(db), connections[db].cursor() as cursor:
        cursor.execute(sql, [*params, query.tz, cuboid, *filter_params])
        for row in cursor:
            counts = [int(v) for v in row[7:]]
            answers, total = int(row[5]), int(row[6])
            out[row[0]] = {
                "solved": int(row[1]),
                "replies": int(row[2]),
                "first": {
                    "n": int(row[3]),
                    "business": bins.percentile(counts[: bins.BINS], 0.5),
                    "calendar": bins.percentile(counts[bins.BINS :], 0.5),
                },
                "csat": {
                    "sent": int(row[4]),
                    "answers": answers,
                    "avg": total / answers if answers else None,
                },
            }
    return out


OPEN_SQL = """
SELECT r.status, r.team_id, r.tier_id,
       CASE {ages} ELSE %s END, SUM(r.tickets)
  FROM reports_openrollup r
 WHERE r.day <> ALL(%s::date[]) {filters}
 GROUP BY 1, 2, 3, 4
"""


def open_from_rollups(query: ReportQuery, db: str, now: datetime, live) -> list[dict]:
    """Open tickets now as rows of (status, team_id, tier_key, age, n): the UTC creation days
    wholly inside one age bucket from the open rollup, the tickets of the days an age boundary
    (now - 24 h, 72 h, ...) falls in from `live` (a queryset filter on created_at ranges): one
    query each."""
    edges = [(label, (now - timedelta(hours=hours)).astimezone(UTC).date())
             for label, hours in AGE_BUCKETS[1:]]  # fmt: skip
    ages, params = "", []
    for label, day in reversed(edges):  # oldest first: a day before the edge's is older
        ages += "WHEN r.day < %s THEN %s "
        params += [day, label]
    filters, filter_params = _filters(query)
    split = sorted({day for _, day in edges})
    sql = OPEN_SQL.format(ages=ages, filters=filters)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [*params, AGE_BUCKETS[0][0], split, *filter_params])
        rows = [
            {"status": s, "team_id": team, "tier_key": tier, "age": age, "n": int(n)}
            for s, team, tier, age, n in cursor.fetchall()
        ]
    ranges = Q()
    for day in split:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        ranges |= Q(created_at__gte=start, created_at__lt=start + timedelta(days=1))
    return rows + list(live(ranges))
