"""The managers' dashboard (see reports/selectors/__init__.py for the shared conventions)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import (
    Count,
    Q,
)
from django.utils import timezone

from slas.models import SlaClock
from success.models import CustomerHealth

from ..db import report_database
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

# --- the managers' dashboard ------------------------------------------------------------------


def sla_compliance_by_tier_over_time(query: ReportQuery, metric: str) -> dict:
    """Compliance (met of met + breached) per tier and period for one metric: one query."""
    db = report_database()
    names = _names(db)
    rows = (
        SlaClock.objects.using(db)
        .filter(_in_window("ticket__created_at", query), _tickets(query, "ticket__"), metric=metric)
        .annotate(state=_sla_state(timezone.now()), tier_key=_tier("ticket__"))
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
    return {"periods": periods, "series": series}


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
