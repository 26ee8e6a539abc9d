"""Goodwill (see reports/selectors/__init__.py for the shared conventions).

Gestures count in the window they were recorded in; a gesture's tier is the one that applied
when it was recorded (kept on the row). Amounts are summed per currency: nothing converts."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from goodwill.models import Gesture, GestureState
from slas.models import SlaTier

from ..db import report_database
from ..params import ReportQuery
from .common import _in_window
from .satisfaction import _agent_names
from .sla_rollup import fresh_as_of

QUERY_KEYS = ("since", "until", "tz", "tier", "agent")


def _rows(granted, *keys: str) -> list[dict]:
    rows = (
        granted.values(*keys, "currency")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by(*keys, "currency")
    )
    return [{**row, "amount": str(row["amount"])} for row in rows]


def goodwill_report(query: ReportQuery) -> dict:
    """Granted gestures (within a limit or approved) per currency, by tier, agent (who
    recorded it) and kind, and the requests: still pending, approved, declined.
    Queries: tiers (1), agents (1), totals, by tier, by agent, by kind (4), requests (1) = 7."""
    db = report_database()
    gestures = Gesture.objects.using(db).filter(_in_window("created_at", query))
    if query.tier:
        gestures = gestures.filter(tier_id=query.tier)
    if query.agent:
        gestures = gestures.filter(requested_by_id=query.agent)
    granted = gestures.filter(state=GestureState.GRANTED)
    tiers = dict(SlaTier.objects.using(db).values_list("pk", "name"))
    agents = _agent_names(db)
    requests = gestures.aggregate(
        pending=Count("id", filter=Q(state=GestureState.PENDING)),
        approved=Count("id", filter=Q(state=GestureState.GRANTED, decided_by__isnull=False)),
        declined=Count("id", filter=Q(state=GestureState.DECLINED)),
    )
    by_tier = [{"tier": tiers.get(row["tier_id"]), **row} for row in _rows(granted, "tier_id")]
    by_agent = [
        {"agent": agents.get(row["requested_by_id"]), **row}
        for row in _rows(granted, "requested_by_id")
    ]
    return {
        "query": {
            k: v
            for k, v in query.as_dict().items()
            if k in ("since", "until", "tz", "tier", "agent")
        },
        "fresh_as_of": fresh_as_of(None),  # live: the base tables
        "totals": _rows(granted),
        "by_tier": by_tier,
        "by_agent": by_agent,
        "by_kind": _rows(granted, "kind"),
        "requests": requests,
    }
