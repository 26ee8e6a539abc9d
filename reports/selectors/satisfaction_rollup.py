"""The satisfaction report from the rollups (reports.SurveyRollup): the surveys' counts and
sums over the window's local days and months. Same answer as the base-table queries
(reports/selectors/satisfaction.py): averages are sums over counts, as AVG computes them."""

from __future__ import annotations

from django.db import connections

from ..db import without_jit
from ..params import ReportQuery
from ..rollups.sql import FULL, SURVEY_COUNTS, SURVEY_CUBOID_BITS, SURVEY_KEY
from .sla_rollup import WINDOW, _targets, _values, rollup_filters, series_cuboid

READ_SQL = """
WITH seg(grain, day, target) AS (VALUES {values})
SELECT r.cuboid, r.tier_id, r.channel, r.team_id, r.agent_id, seg.target, {sums}
  FROM reports_surveyrollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND seg.target = 'window' AND r.cuboid IN (0, 8, 4, 2, 1)
 GROUP BY r.cuboid, r.tier_id, r.channel, r.team_id, r.agent_id, seg.target
 UNION ALL
SELECT r.cuboid, NULL, NULL, NULL, NULL, seg.target, {sums}
  FROM reports_surveyrollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND seg.target <> 'window' AND r.cuboid = 0
 GROUP BY r.cuboid, seg.target
"""
# Filtered: the full-key rows (cuboid FULL) matching the filters, summed overall and per
# dimension in the read (as reports/selectors/sla_rollup.py does).
FILTERED_READ_SQL = """
WITH seg(grain, day, target) AS (VALUES {values})
SELECT 15 - GROUPING(r.tier_id, r.channel, r.team_id, r.agent_id),
       r.tier_id, r.channel, r.team_id, r.agent_id, seg.target, {sums}
  FROM reports_surveyrollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND r.cuboid = {full} {filters} AND seg.target = 'window'
 GROUP BY GROUPING SETS ((seg.target), (seg.target, r.tier_id), (seg.target, r.channel),
                         (seg.target, r.team_id), (seg.target, r.agent_id))
 UNION ALL
SELECT 0, NULL, NULL, NULL, NULL, seg.target, {sums}
  FROM reports_surveyrollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND r.cuboid = {series} {filters} AND seg.target <> 'window'
 GROUP BY seg.target
"""
COLUMN = {"tier": "tier_id", "channel": "channel", "team": "team_id", "agent": "agent_id"}


def satisfaction_grouped_from_rollups(query: ReportQuery, db: str) -> dict[str, list[dict]]:
    """{"all": [row], "tier": [rows with "key"], ..., "period": [...]}: the aggregates of
    _satisfaction_aggregates, from the rollups. One query."""
    params: list = []
    sums = ", ".join(f"SUM(r.{c})" for c in SURVEY_COUNTS)
    filters, filter_params = rollup_filters(query, COLUMN) or ("", [])
    read = FILTERED_READ_SQL if filters else READ_SQL
    sql = read.format(
        values=_values(_targets(query), params),
        sums=sums,
        full=FULL,
        filters=filters,
        series=series_cuboid(query, SURVEY_CUBOID_BITS),
    )
    grouped: dict[str, list[dict]] = {"all": [], **{d: [] for d in SURVEY_CUBOID_BITS}}
    grouped["period"] = []
    with without_jit(db), connections[db].cursor() as cursor:
        tail = [query.tz, *filter_params] * 2  # each read's two parts
        cursor.execute(sql, [*params, *tail])
        for row in cursor.fetchall():
            cuboid, target = row[0], row[5]
            counts = dict(zip(SURVEY_COUNTS, (int(v) for v in row[6:]), strict=True))
            aggregates = _aggregates(counts)
            if cuboid == 0:
                if target == WINDOW:
                    grouped["all"].append(aggregates)
                else:
                    grouped["period"].append({"key": target, **aggregates})
                continue
            dimension = next(d for d, bit in SURVEY_CUBOID_BITS.items() if bit == cuboid)
            key = row[SURVEY_KEY.index(COLUMN[dimension])]
            grouped[dimension].append({"key": key, **aggregates})
    return grouped


def _aggregates(c: dict) -> dict:
    return {
        "sent": c["sent"],
        "answers": c["answers"],
        "csat_answers": c["csat_answers"],
        "csat_avg": c["csat_sum"] / c["csat_answers"] if c["csat_answers"] else None,
        "ces_answers": c["ces_answers"],
        "ces_avg": c["ces_sum"] / c["ces_answers"] if c["ces_answers"] else None,
        "nps_answers": c["nps_answers"],
        "promoters": c["promoters"],
        "detractors": c["detractors"],
    }
