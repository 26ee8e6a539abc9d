"""Agents (see reports/selectors/__init__.py for the shared conventions)."""

from __future__ import annotations

from django.db.models import (
    Avg,
    Count,
    Q,
)

from slas.models import Metric, SlaClock
from success.models import Survey
from success.surveys import csat_score
from tickets.models import Direction, Message, Ticket

from ..db import MinutesBetween, Percentile, report_database
from ..params import ReportQuery
from .common import (
    _in_window,
    _round,
    _tickets,
)
from .flow_rollup import agents_from_rollups, agents_rollup_cuboid
from .satisfaction import _agent_names
from .sla_rollup import fresh_as_of, rollups_ready

# --- 5. Agents ----------------------------------------------------------------------------------


def agents_report(query: ReportQuery) -> dict:
    """Per agent: tickets solved in the window (as assignee), public replies written, median
    first response (business and calendar minutes, tickets they are assigned), CSAT of their
    tickets' surveys. From the agents rollup (one query after the refresh) when it holds the
    query, else the base tables: agents (1), solved (1), replies (1), first response (1),
    CSAT (1) = 5."""
    db = report_database()
    agents = _agent_names(db)
    if query.agent:
        agents = {k: v for k, v in agents.items() if k == query.agent}
    cuboid = agents_rollup_cuboid(query)
    rolled = rollups_ready(query, db) if cuboid is not None else None
    if rolled:
        figures = agents_from_rollups(query, db, cuboid)
    else:
        figures = _agents_from_tables(query, db, list(agents))
    rows = []
    for pk, name in sorted(agents.items(), key=lambda kv: kv[1].lower()):
        agent = figures.get(pk, {})
        fr, cs = agent.get("first", {}), agent.get("csat", {})
        rows.append(
            {
                "agent_id": pk,
                "agent": name,
                "solved": agent.get("solved", 0),
                "replies": agent.get("replies", 0),
                "first_responses": fr.get("n", 0),
                "first_response_business_minutes_p50": _round(fr.get("business")),
                "first_response_calendar_minutes_p50": _round(fr.get("calendar")),
                "surveys_sent": cs.get("sent", 0),
                "csat_answers": cs.get("answers", 0),
                "csat": csat_score(cs.get("avg")),
            }
        )
    return {"query": query.as_dict(), "fresh_as_of": fresh_as_of(rolled), "agents": rows}


def _agents_from_tables(query: ReportQuery, db: str, ids: list[int]) -> dict[int, dict]:
    """The figures per agent id from the base tables (an agent filter, a zone the rollups are
    not kept in, SQLite): solved (1), replies (1), first response (1), CSAT (1)."""
    tickets = Q(assignee_id__in=ids) & _tickets(query)
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
            author_user_id__in=ids,
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
            ticket__assignee_id__in=ids,
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
            ticket__assignee_id__in=ids,
        )
        .values("ticket__assignee_id")
        .annotate(
            sent=Count("id"),
            answers=Count("id", filter=Q(csat__isnull=False, answered_at__isnull=False)),
            avg=Avg("csat", filter=Q(answered_at__isnull=False)),
        )
        .order_by()
    }
    return {
        pk: {
            "solved": solved.get(pk, 0),
            "replies": replies.get(pk, 0),
            "first": first.get(pk, {}),
            "csat": csat.get(pk, {}),
        }
        for pk in ids
    }
