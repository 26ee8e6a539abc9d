"""Pieces every report shares: filters, periods, labels, rates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce, Trunc

from slas.models import SlaTier
from tickets.models import Priority, Team

from ..params import ReportQuery

AGE_BUCKETS = (  # (label, lower bound in hours) of an open ticket's age, youngest first
    ("under_1d", 0),
    ("1d_3d", 24),
    ("3d_7d", 72),
    ("7d_30d", 168),
    ("over_30d", 720),
)


def _tier(prefix: str = "") -> Coalesce:
    return Coalesce(f"{prefix}requester__tier_id", f"{prefix}organization__tier_id")


def _period(field: str, query: ReportQuery) -> Trunc:
    return Trunc(field, query.period, tzinfo=query.zone)


def _period_key(value: datetime | None, query: ReportQuery) -> str | None:
    if value is None:
        return None
    return value.astimezone(query.zone).date().isoformat()


def _tickets(query: ReportQuery, prefix: str = "") -> Q:
    """The report's filters, on a ticket reached through `prefix` ("" or "ticket__")."""
    q = Q()
    if query.team:
        q &= Q(**{f"{prefix}team_id": query.team})
    if query.channel:
        q &= Q(**{f"{prefix}channel": query.channel})
    if query.priority:
        q &= Q(**{f"{prefix}priority": query.priority})
    if query.agent:
        q &= Q(**{f"{prefix}assignee_id": query.agent})
    if query.tier:
        q &= Q(**{f"{prefix}requester__tier_id": query.tier}) | Q(
            **{
                f"{prefix}requester__tier__isnull": True,
                f"{prefix}organization__tier_id": query.tier,
            }
        )
    return q


def _in_window(field: str, query: ReportQuery) -> Q:
    return Q(**{f"{field}__gte": query.start, f"{field}__lt": query.end})


def _names(db: str) -> dict[str, dict[Any, str]]:
    """Labels for the keys the breakdowns group by (tiers and teams: two small tables)."""
    return {
        "tier": dict(SlaTier.objects.using(db).values_list("id", "name")),
        "team": dict(Team.objects.using(db).values_list("id", "name")),
        "priority": {p.value: p.label for p in Priority},
    }


def _label(dimension: str, key: Any, names: dict) -> Any:
    if dimension == "period":
        return key
    if key is None:
        return None
    return names.get(dimension, {}).get(key, key)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


def _fill_periods(rows: dict[str, dict], query: ReportQuery, empty) -> list[dict]:
    """One entry per period of the window, in order, zeros where nothing happened."""
    return [{"period": key, **rows.get(key, empty())} for key in _period_keys(query)]


def _period_keys(query: ReportQuery) -> list[str]:
    return [day.isoformat() for day in query.periods()]
