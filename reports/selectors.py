"""The reports' aggregate queries. Each report is a fixed, small number of GROUP BY queries over
the window (never one query per row), read from `report_database()` (the replica when set).

Conventions shared by every report:
- The window is [local midnight of `since`, local midnight after `until`) in `?tz=`; periods
  (day/week/month, weeks from Monday) are truncated in that zone, so a ticket solved at 23:30
  Berlin time counts on that Berlin day.
- A ticket's tier is its requester's own tier, else its organization's (as SLA measures it).
- SLA clocks are attributed to the period their ticket was *created* in (a cohort: "of the
  tickets we received that week, how many got a first response in time").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from followups.models import Action, FollowUp, FollowUpState, Survey
from followups.surveys import ces_score, csat_score
from slas.models import Metric, SlaClock, SlaTier
from tickets.models import Direction, Message, Priority, Team, Ticket, TicketEvent, TicketKind
from tickets.status import UNRESOLVED, Status

from .db import MinutesBetween, Percentile, report_database
from .models import AtRiskEpisode
from .params import ReportQuery

AGE_BUCKETS = (  # (label, lower bound in hours) of an open ticket's age, youngest first
    ("under_1d", 0),
    ("1d_3d", 24),
    ("3d_7d", 72),
    ("7d_30d", 168),
    ("over_30d", 720),
)


# --- shared pieces ------------------------------------------------------------------------------


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
    Queries: names (2) + one GROUPING SETS query on PostgreSQL (one scan of the window's
    clocks for every breakdown), whatever the data."""
    db = report_database()
    clocks = (
        SlaClock.objects.using(db)
        .filter(_in_window("ticket__created_at", query), _tickets(query, "ticket__"))
        .annotate(state=_sla_state(timezone.now()))
    )
    names = _names(db)
    if connections[db].vendor == "postgresql":
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

    open_rows = (
        tickets.filter(status__in=UNRESOLVED)
        .annotate(tier_key=_tier(), age=_age_bucket(now))
        .values("status", "team_id", "tier_key", "age")
        .annotate(n=Count("id"))
        .order_by()
    )
    by: dict[str, dict] = {d: defaultdict(int) for d in ("status", "team", "tier", "age")}
    total_open = 0
    for row in open_rows:
        total_open += row["n"]
        by["status"][row["status"]] += row["n"]
        by["team"][row["team_id"]] += row["n"]
        by["tier"][row["tier_key"]] += row["n"]
        by["age"][row["age"]] += row["n"]

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
    cohort = tickets.filter(_in_window("created_at", query))
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
    pending = _pending_minutes(cohort, db, now)
    return {
        "query": query.as_dict(),
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
        "flow": _fill_periods(
            {
                key: {"created": created.get(key, 0), "solved": solved.get(key, 0)}
                for key in set(created) | set(solved)
            },
            query,
            lambda: {"created": 0, "solved": 0},
        ),
        "created": flow["created"],
        "resolved": flow["resolved"],
        "reopened": flow["reopened"],
        "reopen_rate": _rate(flow["reopened"], flow["ever_solved"]),
        "one_touch": flow["one_touch"],
        "one_touch_rate": _rate(flow["one_touch"], flow["resolved"]),
        "pending": pending,
    }


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


# --- 3. Satisfaction ----------------------------------------------------------------------------

SATISFACTION_DIMENSIONS = {
    "tier": _tier("ticket__"),
    "channel": F("ticket__channel"),
    "team": F("ticket__team_id"),
    "agent": F("ticket__assignee_id"),
}


def _satisfaction_aggregates() -> dict:
    answered = Q(answered_at__isnull=False)
    return {
        "sent": Count("id"),
        "answers": Count("id", filter=answered),
        "csat_answers": Count("id", filter=answered & Q(csat__isnull=False)),
        "csat_avg": Avg("csat", filter=answered),
        "ces_answers": Count("id", filter=answered & Q(ces__isnull=False)),
        "ces_avg": Avg("ces", filter=answered),
        "nps_answers": Count("id", filter=answered & Q(nps__isnull=False)),
        "promoters": Count("id", filter=answered & Q(nps__gte=9)),
        "detractors": Count("id", filter=answered & Q(nps__lte=6)),
    }


def _satisfaction_row(row: dict) -> dict:
    nps = None
    if row["nps_answers"]:
        nps = round((row["promoters"] - row["detractors"]) / row["nps_answers"] * 100, 1)
    return {
        "surveys_sent": row["sent"],
        "answers": row["answers"],
        "response_rate": _rate(row["answers"], row["sent"]),
        "csat": csat_score(row["csat_avg"]),
        "csat_answers": row["csat_answers"],
        "ces": ces_score(row["ces_avg"]),
        "ces_answers": row["ces_answers"],
        "nps": nps,
        "nps_answers": row["nps_answers"],
        "promoters": row["promoters"],
        "detractors": row["detractors"],
    }


def _empty_satisfaction() -> dict:
    zero = dict.fromkeys(
        (
            "sent",
            "answers",
            "csat_answers",
            "ces_answers",
            "nps_answers",
            "promoters",
            "detractors",
        ),
        0,
    )
    return _satisfaction_row(zero | {"csat_avg": None, "ces_avg": None})


def satisfaction_report(query: ReportQuery) -> dict:
    """CSAT and CES on 0-100, NPS from -100 to 100, with answer counts and the response rate,
    over surveys *sent* in the window (a survey row exists only once its link was sent),
    overall and by tier, channel, team, agent (the ticket's assignee) and period.
    Queries: overall (1) + 5 breakdowns + names (2) + agents (1) = 9."""
    db = report_database()
    surveys = Survey.objects.using(db).filter(
        _in_window("sent_at", query), _tickets(query, "ticket__")
    )
    aggregates = _satisfaction_aggregates()
    overall = _satisfaction_row(surveys.aggregate(**aggregates))
    names = _names(db)
    names["agent"] = _agent_names(db)
    breakdowns: dict[str, list] = {}
    for dimension, expression in {
        **SATISFACTION_DIMENSIONS,
        "period": _period("sent_at", query),
    }.items():
        rows = surveys.annotate(key=expression).values("key").annotate(**aggregates).order_by()
        if dimension == "period":
            breakdowns[dimension] = _fill_periods(
                {_period_key(r["key"], query): _satisfaction_row(r) for r in rows},
                query,
                _empty_satisfaction,
            )
            continue
        breakdowns[dimension] = [
            {
                dimension: _label(dimension, row["key"], names),
                **({f"{dimension}_id": row["key"]} if dimension != "channel" else {}),
                **_satisfaction_row(row),
            }
            for row in sorted(rows, key=lambda r: str(_label(dimension, r["key"], names)))
        ]
    return {"query": query.as_dict(), **overall, "by": breakdowns}


def _agent_names(db: str) -> dict[int, str]:
    users = get_user_model().objects.using(db).filter(role__in=("agent", "manager"))
    return {u.pk: u.display_name for u in users.only("id", "username", "first_name", "last_name")}


# --- 4. Success ---------------------------------------------------------------------------------


def success_report(query: ReportQuery) -> dict:
    """At-risk customers flagged and recovered per period with causes; follow-ups by action and
    state (sent only when their row says sent) with answers; outreach outcomes; retention.
    Queries: episodes (2), follow-ups (2), retention (1), names (2) = 7."""
    db = report_database()
    names = _names(db)
    episodes = AtRiskEpisode.objects.using(db)
    if query.tier:
        episodes = episodes.filter(tier_id=query.tier)
    flagged = {
        _period_key(r["p"], query): r
        for r in episodes.filter(_in_window("flagged_at", query))
        .annotate(p=_period("flagged_at", query))
        .values("p")
        .annotate(
            flagged=Count("id"),
            **{
                f"cause_{kind}": Count("id", filter=Q(causes__contains=[kind]))
                for kind in _cause_kinds()
            },
        )
        .order_by()
    }
    recovered = {
        _period_key(r["p"], query): r["n"]
        for r in episodes.filter(_in_window("recovered_at", query))
        .annotate(p=_period("recovered_at", query))
        .values("p")
        .annotate(n=Count("id"))
        .order_by()
    }
    causes: dict[str, int] = defaultdict(int)
    at_risk_rows = {}
    for key in set(flagged) | set(recovered):
        row = flagged.get(key, {})
        period_causes = {k: row.get(f"cause_{k}", 0) for k in _cause_kinds()}
        for kind, n in period_causes.items():
            causes[kind] += n
        at_risk_rows[key] = {
            "flagged": row.get("flagged", 0),
            "recovered": recovered.get(key, 0),
            "causes": period_causes,
        }

    followups = FollowUp.objects.using(db).filter(_in_window("due_at", query))
    if query.tier:
        followups = followups.filter(
            Q(customer__tier_id=query.tier)
            | Q(customer__tier__isnull=True, customer__organization__tier_id=query.tier)
        )
    survey_answered = Exists(
        Survey.objects.filter(ticket=OuterRef("ticket"), answered_at__isnull=False)
    )
    customer_wrote = Exists(
        Message.objects.filter(ticket=OuterRef("result_ticket"), direction=Direction.INBOUND)
    )
    by_action: dict[str, dict] = {
        a: {"scheduled": 0, "sent": 0, "failed": 0, "skipped": 0, "cancelled": 0, "answered": 0}
        for a in Action.values
    }
    for row in (
        followups.annotate(
            answered=Case(
                When(rule__action=Action.SURVEY, then=survey_answered),
                When(rule__action=Action.OUTREACH, then=customer_wrote),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values("rule__action", "state")
        .annotate(n=Count("id"), answered_n=Count("id", filter=Q(answered=True)))
        .order_by()
    ):
        by_action[row["rule__action"]][row["state"]] += row["n"]
        if row["state"] == FollowUpState.SENT:
            by_action[row["rule__action"]]["answered"] += row["answered_n"]
    outcomes = {
        (row["result_ticket__status"] or "none"): row["n"]
        for row in followups.filter(rule__action=Action.OUTREACH, state=FollowUpState.SENT)
        .values("result_ticket__status")
        .annotate(n=Count("id"))
        .order_by()
    }
    return {
        "query": query.as_dict(),
        "at_risk": {
            "flagged": sum(r["flagged"] for r in at_risk_rows.values()),
            "recovered": sum(r["recovered"] for r in at_risk_rows.values()),
            "causes": dict(causes) or dict.fromkeys(_cause_kinds(), 0),
            "by_period": _fill_periods(
                at_risk_rows,
                query,
                lambda: {"flagged": 0, "recovered": 0, "causes": dict.fromkeys(_cause_kinds(), 0)},
            ),
        },
        "followups": {
            "by_action": [{"action": a, **counts} for a, counts in by_action.items()],
            "outreach_outcomes": [
                {"ticket_status": status, "followups": n} for status, n in sorted(outcomes.items())
            ],
        },
        "retention": _retention(query, db, names),
    }


def _cause_kinds() -> list[str]:
    from followups.models import ExperienceKind

    return list(ExperienceKind.values)


RETENTION_SQL = """
WITH active AS (
    SELECT DISTINCT t.requester_id AS customer_id,
           date_trunc(%(period)s, t.created_at AT TIME ZONE %(tz)s) AS p
      FROM tickets_ticket t
     WHERE t.created_at >= %(start)s AND t.created_at < %(end)s AND t.kind = %(reactive)s
), marked AS (
    -- each customer's next active period: one sort instead of a self-join
    SELECT customer_id, p, LEAD(p) OVER (PARTITION BY customer_id ORDER BY p) AS next_p
      FROM active
)
SELECT m.p + %(step)s::interval AS p, COALESCE(c.tier_id, o.tier_id) AS tier_id,
       COUNT(*) AS active_before,
       COUNT(*) FILTER (WHERE m.next_p = m.p + %(step)s::interval) AS active_again
  FROM marked m
  JOIN customers_customer c ON c.id = m.customer_id
  LEFT JOIN customers_organization o ON o.id = c.organization_id
 WHERE m.p + %(step)s::interval >= %(first)s
   AND m.p + %(step)s::interval <= %(last)s
   {tier}
 GROUP BY 1, 2
 ORDER BY 1, 2
"""


def _retention(query: ReportQuery, db: str, names: dict) -> dict:
    """Customers who opened a ticket in the previous period and again in this one, by tier
    (a retention proxy: coming back to us is the signal the helpdesk has)."""
    connection = connections[db]
    if connection.vendor != "postgresql":
        return {"by_period": [], "by_tier": []}
    periods = query.periods()
    first, last = periods[0], periods[-1]
    previous = _previous_period(first, query.period)
    from .params import local_midnight

    params = {
        "period": query.period,
        "tz": query.tz,
        "start": local_midnight(previous, query.zone),
        "end": query.end,
        "reactive": TicketKind.REACTIVE,
        "step": f"1 {query.period}",
        "first": datetime.combine(first, datetime.min.time()),
        "last": datetime.combine(last, datetime.min.time()),
    }
    tier = ""
    if query.tier:
        tier, params["tier"] = "AND COALESCE(c.tier_id, o.tier_id) = %(tier)s", query.tier
    with connection.cursor() as cursor:
        cursor.execute(RETENTION_SQL.format(tier=tier), params)
        rows = cursor.fetchall()
    per_period: dict[str, dict] = defaultdict(lambda: {"active_before": 0, "active_again": 0})
    per_tier: dict[Any, dict] = defaultdict(lambda: {"active_before": 0, "active_again": 0})
    for p, tier_id, before, again in rows:
        key = p.date().isoformat()
        for bucket in (per_period[key], per_tier[tier_id]):
            bucket["active_before"] += before
            bucket["active_again"] += again

    def row(counts: dict) -> dict:
        return {**counts, "rate": _rate(counts["active_again"], counts["active_before"])}

    return {
        "by_period": _fill_periods(
            {k: row(v) for k, v in per_period.items()},
            query,
            lambda: row({"active_before": 0, "active_again": 0}),
        ),
        "by_tier": [
            {"tier": _label("tier", k, names), "tier_id": k, **row(v)}
            for k, v in sorted(per_tier.items(), key=lambda kv: str(_label("tier", kv[0], names)))
        ],
    }


def _previous_period(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=7)
    if period == "month":
        return (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    return day - timedelta(days=1)


# --- 5. Agents ----------------------------------------------------------------------------------


def agents_report(query: ReportQuery) -> dict:
    """Per agent: tickets solved in the window (as assignee), public replies written, median
    first response (business and calendar minutes, tickets they are assigned), CSAT of their
    tickets' surveys. Queries: agents (1), solved (1), replies (1), first response (1),
    CSAT (1) = 5."""
    db = report_database()
    agents = _agent_names(db)
    if query.agent:
        agents = {k: v for k, v in agents.items() if k == query.agent}
    tickets = Q(assignee_id__in=list(agents)) & _tickets(query)
    solved = dict(
        Ticket.objects.using(db)
        .filter(tickets, _in_window("solved_at", query))
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("assignee_id", "n")
    )
    replies = dict(
        Message.objects.using(db)
        .filter(
            _in_window("created_at", query),
            _tickets(query, "ticket__"),
            author_user_id__in=list(agents),
            direction=Direction.OUTBOUND,
            is_public=True,
        )
        .values("author_user_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("author_user_id", "n")
    )
    first = {
        row["ticket__assignee_id"]: row
        for row in SlaClock.objects.using(db)
        .filter(
            _in_window("fulfilled_at", query),
            _tickets(query, "ticket__"),
            metric=Metric.FIRST_RESPONSE,
            ticket__assignee_id__in=list(agents),
        )
        .values("ticket__assignee_id")
        .annotate(
            n=Count("id"),
            business=Percentile("consumed_minutes", 0.5),
            calendar=Percentile(MinutesBetween("started_at", "fulfilled_at"), 0.5),
        )
        .order_by()
    }
    csat = {
        row["ticket__assignee_id"]: row
        for row in Survey.objects.using(db)
        .filter(
            _in_window("sent_at", query),
            _tickets(query, "ticket__"),
            ticket__assignee_id__in=list(agents),
        )
        .values("ticket__assignee_id")
        .annotate(
            sent=Count("id"),
            answers=Count("id", filter=Q(csat__isnull=False, answered_at__isnull=False)),
            avg=Avg("csat", filter=Q(answered_at__isnull=False)),
        )
        .order_by()
    }
    rows = []
    for pk, name in sorted(agents.items(), key=lambda kv: kv[1].lower()):
        fr, cs = first.get(pk, {}), csat.get(pk, {})
        rows.append(
            {
                "agent_id": pk,
                "agent": name,
                "solved": solved.get(pk, 0),
                "replies": replies.get(pk, 0),
                "first_responses": fr.get("n", 0),
                "first_response_business_minutes_p50": _round(fr.get("business")),
                "first_response_calendar_minutes_p50": _round(fr.get("calendar")),
                "surveys_sent": cs.get("sent", 0),
                "csat_answers": cs.get("answers", 0),
                "csat": csat_score(cs.get("avg")),
            }
        )
    return {"query": query.as_dict(), "agents": rows}


__all__ = [
    "agents_report",
    "backlog_report",
    "satisfaction_report",
    "sla_report",
    "success_report",
]


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
    from followups.models import CustomerHealth

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
