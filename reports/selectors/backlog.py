"""Backlog and flow (see reports/selectors/__init__.py for the shared conventions)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connections
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tickets.models import Direction, Message, Ticket, TicketEvent
from tickets.status import UNRESOLVED, Status

from ..db import report_database
from ..params import ReportQuery
from .common import (
    AGE_BUCKETS,
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
from .flow_rollup import flow_from_rollups, open_from_rollups, pending_from_rollups
from .sla_rollup import fresh_as_of, rollups_ready

# --- 2. Backlog and flow -------------------------------------------------------------------------


def _age_bucket(now: datetime) -> Case:
    whens = [
        When(created_at__lte=now - timedelta(hours=hours), then=Value(label))
        for label, hours in reversed(AGE_BUCKETS[1:])
    ]
    return Case(*whens, default=Value(AGE_BUCKETS[0][0]), output_field=CharField())


def _public_agent_replies() -> Subquery:
    replies = (
        Message.objects.filter(
            ticket=OuterRef("pk"),
            direction=Direction.OUTBOUND,
            is_public=True,
            author_user__isnull=False,
        )
        .order_by()
        .values("ticket")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(replies, output_field=IntegerField()), 0)


def _reopened() -> Exists:
    """A solved ticket opened again, by the customer writing or by an agent."""
    return Exists(
        TicketEvent.objects.filter(ticket=OuterRef("pk"), before__status=Status.SOLVED).exclude(
            after__status=Status.CLOSED
        )
    )


def backlog_report(query: ReportQuery) -> dict:
    """Open tickets now by status, team, tier and age; created vs solved per period; reopen
    rate, one-touch resolution and time spent pending for tickets created in the window.
    Queries: open (1), created (1), solved (1), flow rates (1), pending (1), names (2) = 7."""
    db = report_database()
    now = timezone.now()
    names = _names(db)
    tickets = Ticket.objects.using(db).filter(_tickets(query))

    def open_rows_of(where: Q):
        return (
            tickets.filter(where, status__in=UNRESOLVED)
            .annotate(tier_key=_tier(), age=_age_bucket(now))
            .values("status", "team_id", "tier_key", "age")
            .annotate(n=Count("id"))
            .order_by()
        )

    rolled = rollups_ready(query, db)
    open_rows = open_from_rollups(query, db, now, open_rows_of) if rolled else open_rows_of(Q())
    by: dict[str, dict] = {d: defaultdict(int) for d in ("status", "team", "tier", "age")}
    total_open = 0
    for row in open_rows:
        total_open += row["n"]
        by["status"][row["status"]] += row["n"]
        by["team"][row["team_id"]] += row["n"]
        by["tier"][row["tier_key"]] += row["n"]
        by["age"][row["age"]] += row["n"]

    cohort = tickets.filter(_in_window("created_at", query))
    if rolled:
        series, flow = flow_from_rollups(query, db)
        pending = pending_from_rollups(query, db, flow, now)
    else:
        series, flow = _flow_from_tickets(tickets, cohort, query)
        pending = _pending_minutes(cohort, db, now)
    return {
        "query": query.as_dict(),
        "fresh_as_of": fresh_as_of(rolled),
        "open": {
            "total": total_open,
            "by_status": [
                {"status": s, "tickets": by["status"].get(s, 0)}
                for s in Status.values
                if s in UNRESOLVED
            ],
            "by_team": _counted("team", by["team"], names),
            "by_tier": _counted("tier", by["tier"], names),
            "by_age": [
                {"age": label, "tickets": by["age"].get(label, 0)} for label, _ in AGE_BUCKETS
            ],
        },
        "flow": _fill_periods(series, query, lambda: {"created": 0, "solved": 0}),
        "created": flow["created"],
        "resolved": flow["resolved"],
        "reopened": flow["reopened"],
        "reopen_rate": _rate(flow["reopened"], flow["ever_solved"]),
        "one_touch": flow["one_touch"],
        "one_touch_rate": _rate(flow["one_touch"], flow["resolved"]),
        "pending": pending,
    }


def _flow_from_tickets(tickets: QuerySet, cohort: QuerySet, query: ReportQuery) -> tuple:
    """(created and solved per period key, the cohort's figures) from the base tables: the
    answer when the rollups do not hold the query (a zone they are not kept in, SQLite).
    Queries: created (1), solved (1), flow rates (1)."""
    created = {
        _period_key(row["p"], query): row["n"]
        for row in tickets.filter(_in_window("created_at", query))
        .annotate(p=_period("created_at", query))
        .values("p")
        .annotate(n=Count("id"))
        .order_by()
    }
    solved = {
        _period_key(row["p"], query): row["n"]
        for row in tickets.filter(_in_window("solved_at", query))
        .annotate(p=_period("solved_at", query))
        .values("p")
        .annotate(n=Count("id"))
        .order_by()
    }
    flow = dict.fromkeys(("created", "resolved", "reopened", "ever_solved", "one_touch"), 0)
    # Grouped by (status, reopened, replies) rather than aggregated with filters: Django
    # refuses a filtered Count over an Exists annotation; the groups are few.
    for row in (
        cohort.annotate(reopened=_reopened(), replies=_public_agent_replies())
        .values("status", "reopened", "replies")
        .annotate(n=Count("id"))
        .order_by()
    ):
        resolved = row["status"] in (Status.SOLVED, Status.CLOSED)
        flow["created"] += row["n"]
        flow["resolved"] += row["n"] if resolved else 0
        flow["reopened"] += row["n"] if row["reopened"] else 0
        flow["ever_solved"] += row["n"] if resolved or row["reopened"] else 0
        one_touch = resolved and row["replies"] == 1 and not row["reopened"]
        flow["one_touch"] += row["n"] if one_touch else 0
    series = {
        key: {"created": created.get(key, 0), "solved": solved.get(key, 0)}
        for key in set(created) | set(solved)
    }
    return series, flow


def _counted(dimension: str, counts: dict, names: dict) -> list[dict]:
    return [
        {dimension: _label(dimension, key, names), f"{dimension}_id": key, "tickets": n}
        for key, n in sorted(counts.items(), key=lambda kv: str(_label(dimension, kv[0], names)))
    ]


PENDING_SQL = """
WITH changes AS (
    SELECT e.ticket_id, e.created_at, e.after ->> 'status' AS status,
           LEAD(e.created_at) OVER (PARTITION BY e.ticket_id ORDER BY e.created_at, e.id) AS until
      FROM tickets_ticketevent e
     WHERE e.ticket_id IN ({tickets}) AND e.after ? 'status'
), per_ticket AS (
    SELECT ticket_id, SUM(EXTRACT(EPOCH FROM (COALESCE(until, %s) - created_at))) / 60.0 AS m
      FROM changes WHERE status = 'pending' GROUP BY ticket_id
)
SELECT COUNT(*), SUM(m), percentile_cont(0.5) WITHIN GROUP (ORDER BY m),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY m)
  FROM per_ticket
"""


def _pending_minutes(cohort: QuerySet, db: str, now: datetime) -> dict:
    """Calendar minutes the window's tickets spent pending on the customer (from the audit
    trail's status changes; a ticket pending now counts up to now)."""
    connection = connections[db]
    if connection.vendor != "postgresql":
        return {"tickets": None, "total_minutes": None, "p50_minutes": None, "p90_minutes": None}
    ids_sql, ids_params = cohort.values("id").query.get_compiler(using=db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(PENDING_SQL.format(tickets=ids_sql), (*ids_params, now))
        count, total, p50, p90 = cursor.fetchone()
    return {
        "tickets": count,
        "total_minutes": _round(total),
        "p50_minutes": _round(p50),
        "p90_minutes": _round(p90),
    }
