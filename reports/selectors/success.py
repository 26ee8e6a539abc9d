"""Success (see reports/selectors/__init__.py for the shared conventions)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, Q

from success.models import Action, ExperienceKind, FollowUpState
from tickets.models import Direction, TicketKind

from ..db import report_database, without_jit
from ..models import AtRiskEpisode
from ..params import ReportQuery, local_midnight
from .common import (
    _fill_periods,
    _in_window,
    _label,
    _names,
    _period,
    _period_key,
    _rate,
)
from .sla_rollup import fresh_as_of, rollups_ready
from .success_rollup import retention_from_rollups

# --- 4. Success ---------------------------------------------------------------------------------


def success_report(query: ReportQuery) -> dict:
    """At-risk customers flagged and recovered per period with causes; follow-ups by action and
    state (sent only when their row says sent) with answers; outreach outcomes; retention
    (from its rollup when the rollups hold the zone, else the base tables).
    Queries: names (2), freshness (1), episodes (2), follow-ups (1, in a transaction without
    JIT: 3 more), retention (1) = 10."""
    db = report_database()
    names = _names(db)
    rolled = rollups_ready(query, db)
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

    by_action, outcomes = _followup_counts(query, db)
    return {
        "query": query.as_dict(),
        # (the rollup's refresh stamp when retention came from it: the oldest part)
        "fresh_as_of": fresh_as_of(rolled),
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
        "retention": _retention(query, db, names, rolled=rolled is not None),
    }


# Follow-ups due in the window by action and state; of the sent ones, those answered (a
# survey: its ticket's survey answered; outreach: its result ticket has a customer message)
# and, for outreach, the result ticket's status now. The surveys and the customers' messages
# joined as sets (hash joins), not looked up per follow-up; one statement.
FOLLOWUPS_SQL = """
WITH due AS (
    SELECT f.id, f.state, f.ticket_id, f.result_ticket_id, r.action
      FROM followups_followup f
      JOIN followups_followuprule r ON r.id = f.rule_id
      {tier_join}
     WHERE f.due_at >= %(start)s AND f.due_at < %(end)s {tier}
)
SELECT d.action, d.state, NULL, COUNT(*),
       COUNT(*) FILTER (WHERE d.state = %(sent)s AND (
           (d.action = %(survey)s AND s.ticket_id IS NOT NULL)
           OR (d.action = %(outreach)s AND w.ticket_id IS NOT NULL)))
  FROM due d
  LEFT JOIN followups_survey s
         ON d.action = %(survey)s AND s.ticket_id = d.ticket_id AND s.answered_at IS NOT NULL
  LEFT JOIN (SELECT DISTINCT m.ticket_id FROM tickets_message m
              WHERE m.direction = %(inbound)s
                AND m.ticket_id IN (SELECT result_ticket_id FROM due
                                     WHERE action = %(outreach)s AND state = %(sent)s)) AS w
         ON d.action = %(outreach)s AND w.ticket_id = d.result_ticket_id
 GROUP BY d.action, d.state
 UNION ALL
SELECT %(outreach)s, NULL, COALESCE(t.status, 'none'), COUNT(*), 0
  FROM due d LEFT JOIN tickets_ticket t ON t.id = d.result_ticket_id
 WHERE d.action = %(outreach)s AND d.state = %(sent)s
 GROUP BY t.status
"""
_TIER_JOIN = """JOIN customers_customer c ON c.id = f.customer_id
      LEFT JOIN customers_organization o ON o.id = c.organization_id"""
_TIER = "AND (c.tier_id = %(tier)s OR (c.tier_id IS NULL AND o.tier_id = %(tier)s))"


def _followup_counts(query: ReportQuery, db: str) -> tuple[dict[str, dict], dict[str, int]]:
    """(counts per action: per state and answered, outreach outcomes per result ticket
    status): FOLLOWUPS_SQL, without JIT (compiling it cost more than running it)."""
    states = ("scheduled", "sending", "sent", "failed", "skipped", "cancelled", "answered")
    by_action: dict[str, dict] = {a: dict.fromkeys(states, 0) for a in Action.values}
    outcomes: dict[str, int] = {}
    params = {
        "start": query.start, "end": query.end, "tier": query.tier, "sent": FollowUpState.SENT,
        "survey": Action.SURVEY, "outreach": Action.OUTREACH, "inbound": Direction.INBOUND,
    }  # fmt: skip
    sql = FOLLOWUPS_SQL.format(
        tier_join=_TIER_JOIN if query.tier else "", tier=_TIER if query.tier else ""
    )
    with without_jit(db), connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        for action, state, status, n, answered in cursor.fetchall():
            if state is None:
                outcomes[status] = n
                continue
            by_action[action][state] += n
            by_action[action]["answered"] += answered
    return by_action, outcomes


def _cause_kinds() -> list[str]:

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


def _retention(query: ReportQuery, db: str, names: dict, *, rolled: bool) -> dict:
    """Customers who opened a ticket in the previous period and again in this one, by tier
    (a retention proxy: coming back to us is the signal the helpdesk has)."""
    connection = connections[db]
    if connection.vendor != "postgresql":
        return {"by_period": [], "by_tier": []}
    previous = _previous_period(query.periods()[0], query.period)
    if rolled:
        rows = retention_from_rollups(query, db, previous)
    else:
        rows = _retention_from_tables(query, db, previous)
    per_period: dict[str, dict] = defaultdict(lambda: {"active_before": 0, "active_again": 0})
    per_tier: dict[Any, dict] = defaultdict(lambda: {"active_before": 0, "active_again": 0})
    for p, tier_id, before, again in rows:
        for bucket in (per_period[p.isoformat()], per_tier[tier_id]):
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


def _retention_from_tables(query: ReportQuery, db: str, previous: date) -> list[tuple]:
    """(period's first day, tier id, active before, active again) rows: RETENTION_SQL."""
    periods = query.periods()
    first, last = periods[0], periods[-1]

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
    with connections[db].cursor() as cursor:
        cursor.execute(RETENTION_SQL.format(tier=tier), params)
        return [(p.date(), tier_id, before, again) for p, tier_id, before, again in cursor]


def _previous_period(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=7)
    if period == "month":
        return (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    return day - timedelta(days=1)
