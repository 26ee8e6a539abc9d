"""SLA compliance (see reports/selectors/__init__.py for the shared conventions)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from slas.models import Metric, SlaClock

from ..db import MinutesBetween, Percentile, report_database
from ..params import ReportQuery
from .common import (
    _fill_periods,
    _in_window,
    _label,
    _names,
    _period,
    _period_key,
    _rate,
    _round,
    _tickets,
    _tier,
)
from .sla_rollup import fresh_as_of, rollups_answer, sla_grouped_from_rollups

# --- 1. SLA compliance ------------------------------------------------------------------------

SLA_DIMENSIONS = {
    "tier": _tier("ticket__"),
    "channel": F("ticket__channel"),
    "team": F("ticket__team_id"),
    "priority": F("ticket__priority"),
}


def _sla_state(now: datetime) -> Case:
    """met / breached / running. Breached also when the sweep has not marked it yet: fulfilled
    after its due time, or running past it (the sweep lags by at most SLA_SWEEP_SECONDS)."""
    late = (
        Q(breached_at__isnull=False)
        | Q(fulfilled_at__gt=F("due_at"))
        | Q(fulfilled_at__isnull=True, paused_since__isnull=True, due_at__lte=now)
    )
    return Case(
        When(late, then=Value("breached")),
        When(fulfilled_at__isnull=False, then=Value("met")),
        default=Value("running"),
        output_field=CharField(),
    )


def _sla_aggregates() -> dict:
    done = Q(fulfilled_at__isnull=False)
    calendar = MinutesBetween("started_at", "fulfilled_at")
    return {
        "met": Count("id", filter=Q(state="met")),
        "breached": Count("id", filter=Q(state="breached")),
        "running": Count("id", filter=Q(state="running")),
        "business_p50": Percentile("consumed_minutes", 0.5, filter=done),
        "business_p90": Percentile("consumed_minutes", 0.9, filter=done),
        "calendar_p50": Percentile(calendar, 0.5, filter=done),
        "calendar_p90": Percentile(calendar, 0.9, filter=done),
    }


def _p50_p90(row: dict, prefix: str) -> dict:
    return {"p50": _round(row[f"{prefix}_p50"]), "p90": _round(row[f"{prefix}_p90"])}


def _sla_row(row: dict) -> dict:
    total = row["met"] + row["breached"] + row["running"]
    decided = row["met"] + row["breached"]
    return {
        "met": row["met"],
        "breached": row["breached"],
        "running": row["running"],
        "total": total,
        "compliance": _rate(row["met"], decided),
        "business_minutes": {
            "p50": _round(row["business_p50"]),
            "p90": _round(row["business_p90"]),
        },
        "calendar_minutes": {
            "p50": _round(row["calendar_p50"]),
            "p90": _round(row["calendar_p90"]),
        },
    }


def _empty_sla() -> dict:
    return _sla_row(
        dict.fromkeys(("met", "breached", "running"), 0)
        | dict.fromkeys(("business_p50", "business_p90", "calendar_p50", "calendar_p90"))
    )


def sla_report(query: ReportQuery) -> dict:
    """Compliance per metric (met / breached / running), overall and by tier, channel, team,
    priority and period; times as p50/p90 in business minutes (what the clock counted, pauses
    excluded) and calendar minutes (start to fulfilment); breaches by tier and escalation level.
    Without an agent filter, in a zone the rollups are kept in (REPORTS_ROLLUP_ZONES; tier,
    team, channel, priority filters sum their full-key rows): the rollups' freshness (1; a
    stale refresh more), names (2), the rollup read (5) and the running clocks (2),
    whatever the window or the data (sla_rollup.py). Otherwise names (2) + one GROUPING SETS
    query on PostgreSQL (one scan of the window's clocks for every breakdown)."""
    db = report_database()
    clocks = (
        SlaClock.objects.using(db)
        .filter(_in_window("ticket__created_at", query), _tickets(query, "ticket__"))
        .annotate(state=_sla_state(timezone.now()))
    )
    names = _names(db)
    fresh = rollups_answer(query, db)
    if fresh:
        grouped, escalations = sla_grouped_from_rollups(clocks, query, db, _sla_grouped_sets)
    elif connections[db].vendor == "postgresql":
        grouped, escalations = _sla_grouped_sets(clocks, query, db)
    else:
        grouped, escalations = _sla_grouped_one_by_one(clocks, query)

    overall = {m: _empty_sla() for m in Metric.values}
    for row in grouped.pop("all"):
        overall[row["metric"]] = _sla_row(row)
    breakdowns: dict[str, dict[str, list]] = {}
    for dimension, rows in grouped.items():
        per_metric: dict[str, dict] = {m: {} for m in Metric.values}
        for row in rows:
            per_metric[row["metric"]][row["key"]] = _sla_row(row)
        if dimension == "period":
            breakdowns[dimension] = {
                m: _fill_periods(per_metric[m], query, _empty_sla) for m in Metric.values
            }
            continue
        breakdowns[dimension] = {
            m: [
                {
                    dimension: _label(dimension, key, names),
                    **({f"{dimension}_id": key} if dimension in ("tier", "team") else {}),
                    **value,
                }
                for key, value in sorted(per_metric[m].items(), key=lambda kv: str(kv[0]))
            ]
            for m in Metric.values
        }

    by_level: dict[int, int] = defaultdict(int)
    by_tier: dict[Any, int] = defaultdict(int)
    for tier_id, level, breaches in escalations:
        if breaches:
            by_level[level] += breaches
            by_tier[tier_id] += breaches
    return {
        "query": query.as_dict(),
        "fresh_as_of": fresh_as_of(fresh),
        "metrics": overall,
        "by": breakdowns,
        "breaches": {
            "by_tier": [
                {"tier": _label("tier", k, names), "tier_id": k, "breaches": v}
                for k, v in sorted(by_tier.items(), key=lambda kv: str(kv[0]))
            ],
            "by_escalation_level": [
                {"level": k, "breaches": v} for k, v in sorted(by_level.items())
            ],
        },
    }


SLA_COLUMNS = ("metric", "tier", "channel", "team", "priority", "period", "level")
SLA_SETS = {
    "all": ("metric",),
    "tier": ("metric", "tier"),
    "channel": ("metric", "channel"),
    "team": ("metric", "team"),
    "priority": ("metric", "priority"),
    "period": ("metric", "period"),
    "escalation": ("tier", "level"),
}
SLA_GROUPING_SQL = """
SELECT GROUPING({columns}) AS grouping_mask, {columns},
       COUNT(*) FILTER (WHERE state = 'met') AS met,
       COUNT(*) FILTER (WHERE state = 'breached') AS breached,
       COUNT(*) FILTER (WHERE state = 'running') AS running,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY business) FILTER (WHERE done) AS business_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY business) FILTER (WHERE done) AS business_p90,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY calendar) FILTER (WHERE done) AS calendar_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY calendar) FILTER (WHERE done) AS calendar_p90
  FROM ({clocks}) AS clocks
 GROUP BY GROUPING SETS ({sets})
"""


def _sla_grouped_sets(clocks: QuerySet, query: ReportQuery, db: str) -> tuple[dict, list]:
    """Every breakdown from one scan: the window's clocks (the ORM's filters, compiled) grouped
    by GROUPING SETS; each result row says by its GROUPING() mask which breakdown it is."""
    inner = clocks.annotate(
        tier=_tier("ticket__"),
        channel=F("ticket__channel"),
        team=F("ticket__team_id"),
        priority=F("ticket__priority"),
        period=_period("ticket__created_at", query),
        level=F("escalation_level"),
        business=F("consumed_minutes"),
        calendar=MinutesBetween("started_at", "fulfilled_at"),
        done=Q(fulfilled_at__isnull=False),
    ).values(*SLA_COLUMNS[1:], "metric", "state", "business", "calendar", "done")
    inner_sql, params = inner.query.get_compiler(using=db).as_sql()
    columns = ", ".join(SLA_COLUMNS)
    sets = ", ".join(f"({', '.join(cols)})" for cols in SLA_SETS.values())
    masks = {
        sum(
            1 << (len(SLA_COLUMNS) - 1 - i) for i, c in enumerate(SLA_COLUMNS) if c not in cols
        ): name
        for name, cols in SLA_SETS.items()
    }
    sql = SLA_GROUPING_SQL.format(columns=columns, clocks=inner_sql, sets=sets)
    grouped: dict[str, list] = {name: [] for name in SLA_SETS if name != "escalation"}
    escalations = []
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            which = masks[row["grouping_mask"]]
            if which == "escalation":
                escalations.append((row["tier"], row["level"], row["breached"]))
                continue
            if which == "period":
                # the local period start (a timestamp without zone: already in ?tz=)
                row["key"] = row["period"].date().isoformat()
            elif which != "all":
                row["key"] = row[which]
            grouped[which].append(row)
    return grouped, escalations


def _sla_grouped_one_by_one(clocks: QuerySet, query: ReportQuery) -> tuple[dict, list]:
    """The same breakdowns one query each (databases without GROUPING SETS: SQLite)."""
    aggregates = _sla_aggregates()
    grouped = {"all": list(clocks.values("metric").annotate(**aggregates).order_by())}
    for dimension, expression in {
        **SLA_DIMENSIONS,
        "period": _period("ticket__created_at", query),
    }.items():
        rows = clocks.annotate(key=expression).values("metric", "key")
        grouped[dimension] = [
            {**row, "key": _period_key(row["key"], query) if dimension == "period" else row["key"]}
            for row in rows.annotate(**aggregates).order_by()
        ]
    escalations = [
        (row["tier_key"], row["escalation_level"], row["breaches"])
        for row in clocks.filter(state="breached")
        .annotate(tier_key=_tier("ticket__"))
        .values("tier_key", "escalation_level")
        .annotate(breaches=Count("id"))
        .order_by()
    ]
    return grouped, escalations
