"""The managers' dashboard (see reports/selectors/__init__.py for the shared conventions)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import connections
from django.db.models import (
    Count,
    Q,
    QuerySet,
)
from django.utils import timezone

from slas.models import SlaClock
from success.models import CustomerHealth

from ..db import report_database, without_jit
from ..params import ReportQuery
from .common import (
    _in_window,
    _label,
    _names,
    _period,
    _period_key,
    _period_keys,
    _rate,
    _tickets,
    _tier,
)
from .sla import _sla_state
from .sla_rollup import (
    SLA_FILTER_COLUMNS,
    WINDOW,
    _targets,
    _values,
    fresh_as_of,
    rollup_filters,
    rollups_ready,
)

# --- the managers' dashboard ------------------------------------------------------------------


def sla_compliance_by_tier_over_time(query: ReportQuery, metric: str) -> dict:
    """Compliance (met of met + breached) per tier and period for one metric. From the SLA
    rollups' tier rows plus the running clocks live when the rollups hold the query (no filter
    but the tier, a rollup zone: its freshness, then two queries; team, channel or priority
    filters read the full-key rows), else one query over the clocks."""
    db = report_database()
    names = _names(db)
    fresh = None if query.agent else rollups_ready(query, db)
    if fresh:
        per_tier = _compliance_from_rollups(query, metric, db)
    else:
        clocks = SlaClock.objects.using(db).filter(
            _in_window("ticket__created_at", query), _tickets(query, "ticket__"), metric=metric
        )
        per_tier = _compliance_by_tier(clocks, query)
    periods = _period_keys(query)
    series = []
    for tier_id, by_period in sorted(
        per_tier.items(), key=lambda kv: str(_label("tier", kv[0], names) or "~")
    ):
        points = []
        for key in periods:
            row = by_period.get(key, {"met": 0, "breached": 0})
            points.append(
                {
                    "period": key,
                    "met": row["met"],
                    "breached": row["breached"],
                    "compliance": _rate(row["met"], row["met"] + row["breached"]),
                }
            )
        series.append({"tier": _label("tier", tier_id, names) or "No tier", "points": points})
    return {"fresh_as_of": fresh_as_of(fresh), "periods": periods, "series": series}


def _compliance_by_tier(clocks: QuerySet, query: ReportQuery) -> dict[Any, dict[str, dict]]:
    """{tier id: {period key: {met, breached}}} of the clocks, by their state now."""
    rows = (
        clocks.annotate(state=_sla_state(timezone.now()), tier_key=_tier("ticket__"))
        .annotate(p=_period("ticket__created_at", query))
        .values("tier_key", "p")
        .annotate(
            met=Count("id", filter=Q(state="met")),
            breached=Count("id", filter=Q(state="breached")),
        )
        .order_by()
    )
    per_tier: dict[Any, dict[str, dict]] = defaultdict(dict)
    for row in rows:
        per_tier[row["tier_key"]][_period_key(row["p"], query)] = row
    return per_tier


COMPLIANCE_SQL = """
WITH seg(grain, day, target) AS (VALUES {values})
SELECT r.tier_id, seg.target, SUM(r.met), SUM(r.breached)
  FROM reports_slarollup r JOIN seg ON r.grain = seg.grain AND r.day = seg.day
 WHERE r.zone = %s AND r.cuboid = {cuboid} AND r.metric = %s {filters}
 GROUP BY r.tier_id, seg.target
"""


def _compliance_from_rollups(query: ReportQuery, metric: str, db: str) -> dict:
    """The settled clocks from the rollups' tier rows (cuboid 8; filtered by more than the
    tier: the full-key rows, 15), the running ones live (their ids from the partial index
    clock_unsettled_idx, as the SLA report reads them)."""
    params: list = []
    targets = [t for t in _targets(query) if t[2] != WINDOW]
    filters, filter_params = rollup_filters(query, SLA_FILTER_COLUMNS) or ("", [])
    only_tier = not any((query.team, query.channel, query.priority))
    sql = COMPLIANCE_SQL.format(
        values=_values(targets, params), cuboid=8 if only_tier else 15, filters=filters
    )
    per_tier: dict[Any, dict[str, dict]] = defaultdict(dict)
    with without_jit(db), connections[db].cursor() as cursor:
        cursor.execute(sql, [*params, query.tz, metric, *filter_params])
        for tier_id, key, met, breached in cursor.fetchall():
            per_tier[tier_id][key] = {"met": int(met), "breached": int(breached)}
    running = Q(fulfilled_at__isnull=True, breached_at__isnull=True)
    ids = list(SlaClock.objects.using(db).filter(running).values_list("pk", flat=True))
    clocks = SlaClock.objects.using(db).filter(
        running,
        _in_window("ticket__created_at", query),
        _tickets(query, "ticket__"),
        metric=metric,
        pk__in=ids or [-1],
    )
    for tier_id, by_period in _compliance_by_tier(clocks, query).items():
        for key, row in by_period.items():
            cell = per_tier[tier_id].setdefault(key, {"met": 0, "breached": 0})
            cell["breached"] += row["breached"]
    return per_tier


def at_risk_customers(*, limit: int = 10) -> list[dict]:
    """Customers flagged at risk now, most recently flagged first (health_at_risk_idx)."""

    rows = (
        CustomerHealth.objects.using(report_database())
        .filter(at_risk=True)
        .select_related("customer")
        .order_by("-at_risk_since")[:limit]
    )
    return [
        {
            "customer": h.customer.name or f"Customer {h.customer_id}",
            "score": h.score,
            "since": h.at_risk_since,
            "causes": sorted({r.get("kind", "") for r in h.reasons} - {""}),
        }
        for h in rows
    ]
