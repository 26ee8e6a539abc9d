"""The success report's retention from its rollup (reports.models.RetentionRollup): the same
rows as the base-table query (reports.selectors.success.RETENTION_SQL), one query."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import connections

from ..params import ReportQuery, next_period

# The periods from the one before the window's first to its last: their active customers,
# and (the window's periods) those active again by the window's last day.
RETENTION_READ_SQL = """
SELECT r.start, r.tier_id, SUM(r.active), COALESCE(SUM(r.returned) FILTER (WHERE r.day <= %s), 0)
  FROM reports_retentionrollup r
 WHERE r.zone = %s AND r.period = %s AND r.start >= %s AND r.start <= %s {tier}
 GROUP BY r.start, r.tier_id
"""


def retention_from_rollups(
    query: ReportQuery, db: str, previous: date
) -> list[tuple[date, int | None, int, int]]:
    """(period start, tier id, active in the period before, active again in this one) for the
    window's periods whose period before had an active customer of that tier."""
    periods = query.periods()
    params: list = [query.until, query.tz, query.period, previous, periods[-1]]
    tier = ""
    if query.tier:
        tier = "AND r.tier_id = %s"
        params.append(query.tier)
    active: dict[tuple[date, int | None], int] = defaultdict(int)
    again: dict[tuple[date, int | None], int] = defaultdict(int)
    with connections[db].cursor() as cursor:
        cursor.execute(RETENTION_READ_SQL.format(tier=tier), params)
        for start, tier_id, n_active, n_again in cursor.fetchall():
            active[(start, tier_id)] += int(n_active)
            again[(start, tier_id)] += int(n_again)
    rows = []
    for (start, tier_id), before in sorted(active.items(), key=lambda kv: str(kv[0])):
        following = next_period(start, query.period)
        if before and periods[0] <= following <= periods[-1]:
            rows.append((following, tier_id, before, again.get((following, tier_id), 0)))
    return rows
