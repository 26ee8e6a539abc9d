"""The SQL of the flow (backlog), open, pending and agents rollups: local days recomputed from
the base tables, months from the days (the triggers that mark the days: flow_triggers.py).
Each day's rows are replaced in one statement, like the SLA rollups."""

from __future__ import annotations

from .bins import BINS
from .sql import EDGES_SQL, _replacing

FLOW_KEY = ("tier_id", "channel", "team_id", "priority")
FLOW_COUNTS = ("created", "resolved", "reopened", "ever_solved", "one_touch", "solved")
_RANGES = "unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[]) AS r(s, e)"
_TIER = "COALESCE(c.tier_id, o.tier_id)"
_TICKET_DIMENSIONS = """
      LEFT JOIN customers_customer c ON c.id = t.requester_id
      LEFT JOIN customers_organization o ON o.id = t.organization_id"""
# a ticket looked up by id for each row (LIMIT 1: an index lookup per row; a plain join is
# planned as a hash over every ticket, the planner not knowing how few rows a day holds)
_TICKET_OF = "(SELECT * FROM tickets_ticket t WHERE t.id = {fk} LIMIT 1) AS t"
_AGENT_REPLY = "m.direction = 'outbound' AND m.is_public AND m.author_user_id IS NOT NULL"

# A ticket's pending stretches from the audit trail's status changes (the rule of
# reports.selectors.backlog.PENDING_SQL): how many, the minutes of the closed ones, and when
# the open one began (the last status change is to pending: the ticket waits now).
_PENDING = """LEFT JOIN LATERAL (
        SELECT COUNT(*) AS stretches,
               (COALESCE(SUM(EXTRACT(EPOCH FROM (ch.until - ch.created_at))), 0) / 60.0)::float8
                   AS closed,
               MAX(ch.created_at) FILTER (WHERE ch.until IS NULL) AS open_since
          FROM (SELECT e.created_at, e.after ->> 'status' AS status,
                       LEAD(e.created_at) OVER (ORDER BY e.created_at, e.id) AS until
                  FROM tickets_ticketevent e WHERE e.ticket_id = t.id AND e.after ? 'status'
               ) AS ch
         WHERE ch.status = 'pending'
     ) AS pe ON true"""
PENDING_BINS = [f"p{i:02d}" for i in range(BINS)]
_FLOW_COLUMNS = (*FLOW_COUNTS, "pending_tickets", "pending_minutes", *PENDING_BINS)
FLOW_SUMS = (*FLOW_COUNTS, "pending_tickets", "pending_minutes")
_PENDING_BIN_COUNTS = ", ".join(f"COUNT(*) FILTER (WHERE pb = {i})" for i in range(BINS))

# The rules of reports.selectors.backlog: resolved = solved or closed now; reopened = an audit
# event from solved to anything but closed; one touch = resolved, never reopened, exactly one
# public agent reply; pending (settled): every pending stretch closed.
_FLOW_DAYS_INSERT = f"""
INSERT INTO reports_flowrollup (zone, grain, day, {", ".join(FLOW_KEY)}, {", ".join(_FLOW_COLUMNS)})
SELECT %(zone)s, 0, day, tier_id, channel, team_id, priority,
       {", ".join(f"SUM({c})" for c in FLOW_COUNTS)}, SUM(pending_tickets),
       COALESCE(SUM(pending_minutes), 0), {_PENDING_BIN_COUNTS}
  FROM (
    SELECT (t.created_at AT TIME ZONE %(zone)s)::date AS day, {_TIER} AS tier_id, t.channel,
           t.team_id, t.priority, 1 AS created, x.resolved::int AS resolved,
           x.reopened::int AS reopened, (x.resolved OR x.reopened)::int AS ever_solved,
           (x.resolved AND NOT x.reopened AND x.replies = 1)::int AS one_touch, 0 AS solved,
           x.settled::int AS pending_tickets,
           CASE WHEN x.settled THEN pe.closed END AS pending_minutes,
           CASE WHEN x.settled THEN width_bucket(GREATEST(pe.closed, 0), {EDGES_SQL}) - 1
                ELSE -1 END AS pb
      FROM {_RANGES}
      JOIN tickets_ticket t ON t.created_at >= r.s AND t.created_at < r.e {_TICKET_DIMENSIONS}
     -- (one LIMIT 1 lateral each: an index lookup per ticket, never a scan of the events)
     LEFT JOIN LATERAL (
        SELECT true AS reopened FROM tickets_ticketevent e
         WHERE e.ticket_id = t.id AND e.before -> 'status' = '"solved"'::jsonb
           AND (e.after -> 'status') IS DISTINCT FROM '"closed"'::jsonb
         LIMIT 1
     ) AS ev ON true
     {_PENDING}
     CROSS JOIN LATERAL (
        SELECT t.status IN ('solved', 'closed') AS resolved,
               ev.reopened IS NOT NULL AS reopened,
               (pe.stretches > 0 AND pe.open_since IS NULL) AS settled,
               (SELECT count(*) FROM tickets_message m
                 WHERE m.ticket_id = t.id AND {_AGENT_REPLY}) AS replies
     ) AS x
     WHERE cardinality(%(starts)s::timestamptz[]) > 0
    UNION ALL
    SELECT (t.solved_at AT TIME ZONE %(zone)s)::date, {_TIER}, t.channel, t.team_id, t.priority,
           0, 0, 0, 0, 0, 1, 0, NULL, -1
      FROM {_RANGES}
      JOIN tickets_ticket t ON t.solved_at >= r.s AND t.solved_at < r.e {_TICKET_DIMENSIONS}
     WHERE cardinality(%(starts)s::timestamptz[]) > 0
  ) AS flow
 GROUP BY day, tier_id, channel, team_id, priority
"""  # noqa: S608 (constants only)
_PENDING_OPEN_INSERT = f"""
INSERT INTO reports_pendingopen (zone, day, {", ".join(FLOW_KEY)}, ticket_id, closed_minutes,
                                 open_since)
SELECT %(zone)s, (t.created_at AT TIME ZONE %(zone)s)::date, {_TIER}, t.channel, t.team_id,
       t.priority, t.id, pe.closed, pe.open_since
  FROM {_RANGES}
  JOIN tickets_ticket t ON t.created_at >= r.s AND t.created_at < r.e {_TICKET_DIMENSIONS}
  {_PENDING}
 WHERE pe.open_since IS NOT NULL AND cardinality(%(starts)s::timestamptz[]) > 0
"""  # noqa: S608 (constants only)
PENDING_OPEN_REPLACE = _replacing(
    "DELETE FROM reports_pendingopen WHERE zone = %(zone)s AND day = ANY(%(days)s::date[])",
    _PENDING_OPEN_INSERT,
)
_FLOW_DAYS_DELETE = """
DELETE FROM reports_flowrollup WHERE zone = %(zone)s AND grain = 0 AND day = ANY(%(days)s::date[])
"""
_MONTHS_FILTER = """
 WHERE zone = %(zone)s AND grain = 0 AND cardinality(%(months)s::date[]) > 0
   AND day >= %(first_month)s AND day < %(after_months)s
   AND date_trunc('month', day)::date = ANY(%(months)s::date[])"""
_FLOW_MONTHS_DELETE = """
DELETE FROM reports_flowrollup WHERE zone = %(zone)s AND grain = 1 AND day = ANY(%(months)s::date[])
"""
_FLOW_MONTHS_INSERT = f"""
INSERT INTO reports_flowrollup (zone, grain, day, {", ".join(FLOW_KEY)}, {", ".join(_FLOW_COLUMNS)})
SELECT zone, 1, date_trunc('month', day)::date, {", ".join(FLOW_KEY)},
       {", ".join(f"SUM({c})" for c in _FLOW_COLUMNS)}
  FROM reports_flowrollup {_MONTHS_FILTER}
 GROUP BY zone, date_trunc('month', day), {", ".join(FLOW_KEY)}
"""  # noqa: S608 (constants only)
FLOW_DAYS_REPLACE = _replacing(_FLOW_DAYS_DELETE, _FLOW_DAYS_INSERT)
FLOW_MONTHS_REPLACE = _replacing(_FLOW_MONTHS_DELETE, _FLOW_MONTHS_INSERT)

# --- agents -------------------------------------------------------------------------------------

AGENT_KEY = ("cuboid", "agent_id", "tier_id", "channel", "team_id", "priority")
BUSINESS = [f"b{i:02d}" for i in range(BINS)]
CALENDAR = [f"c{i:02d}" for i in range(BINS)]
AGENT_COUNTS = (
    "solved", "replies", "first_responses", "surveys_sent", "csat_answers", "csat_sum",
    *BUSINESS, *CALENDAR,
)  # fmt: skip
_FACT = "day, agent_id, tier_id, channel, team_id, priority, kind, bb, cb, csat"
_DIMS = f"{_TIER}, t.channel, t.team_id, t.priority"
_BIN = f"width_bucket(GREATEST({{x}}, 0), {EDGES_SQL}) - 1"
_CELL_COUNTS = ",\n           ".join(
    [
        "COUNT(*) FILTER (WHERE kind = 's') AS solved",
        "COUNT(*) FILTER (WHERE kind = 'r') AS replies",
        "COUNT(*) FILTER (WHERE kind = 'f') AS first_responses",
        "COUNT(*) FILTER (WHERE kind = 'v') AS surveys_sent",
        "COUNT(csat) FILTER (WHERE kind = 'v') AS csat_answers",
        "COALESCE(SUM(csat) FILTER (WHERE kind = 'v'), 0) AS csat_sum",
        *[f"COUNT(*) FILTER (WHERE bb = {i}) AS b{i:02d}" for i in range(BINS)],
        *[f"COUNT(*) FILTER (WHERE cb = {i}) AS c{i:02d}" for i in range(BINS)],
    ]
)
# Facts per local day (kind s: solved as assignee, r: public reply by its author, f: first
# response of an assigned ticket, by fulfilment, v: survey of an assigned ticket, by sending;
# csat: an answered survey's CSAT), counted per full key, then summed per grouping set (the
# full key itself too, cuboid 15: what a report filtered by two dimensions or more sums). The
# rules of reports.selectors.agents.
_AGENT_DAYS_INSERT = f"""
INSERT INTO reports_agentrollup (zone, grain, day, {", ".join(AGENT_KEY)},
    {", ".join(AGENT_COUNTS)})
SELECT %(zone)s, 0, day, 15 - GROUPING(tier_id, channel, team_id, priority), agent_id,
       tier_id, channel, team_id, priority, {", ".join(f"SUM({c})" for c in AGENT_COUNTS)}
  FROM (
    SELECT day, agent_id, tier_id, channel, team_id, priority,
           {_CELL_COUNTS}
      FROM (
        SELECT (t.solved_at AT TIME ZONE %(zone)s)::date, t.assignee_id, {_DIMS}, 's', -1, -1,
               NULL::int
          FROM {_RANGES}
          JOIN tickets_ticket t ON t.solved_at >= r.s AND t.solved_at < r.e {_TICKET_DIMENSIONS}
         WHERE t.assignee_id IS NOT NULL AND cardinality(%(starts)s::timestamptz[]) > 0
        UNION ALL
        SELECT (m.created_at AT TIME ZONE %(zone)s)::date, m.author_user_id, {_DIMS}, 'r', -1, -1,
               NULL
          FROM {_RANGES}
          JOIN tickets_message m ON m.created_at >= r.s AND m.created_at < r.e
          CROSS JOIN LATERAL {_TICKET_OF.format(fk="m.ticket_id")} {_TICKET_DIMENSIONS}
         WHERE {_AGENT_REPLY} AND cardinality(%(starts)s::timestamptz[]) > 0
        UNION ALL
        SELECT (k.fulfilled_at AT TIME ZONE %(zone)s)::date, t.assignee_id, {_DIMS}, 'f',
               {_BIN.format(x="k.consumed_minutes")},
               {_BIN.format(x="EXTRACT(EPOCH FROM (k.fulfilled_at - k.started_at)) / 60.0")}, NULL
          FROM {_RANGES}
          JOIN slas_slaclock k ON k.fulfilled_at >= r.s AND k.fulfilled_at < r.e
          CROSS JOIN LATERAL {_TICKET_OF.format(fk="k.ticket_id")} {_TICKET_DIMENSIONS}
         WHERE k.metric = 'first_response' AND t.assignee_id IS NOT NULL
           AND cardinality(%(starts)s::timestamptz[]) > 0
        UNION ALL
        SELECT (s.sent_at AT TIME ZONE %(zone)s)::date, t.assignee_id, {_DIMS}, 'v', -1, -1,
               CASE WHEN s.answered_at IS NOT NULL THEN s.csat END
          FROM {_RANGES}
          JOIN followups_survey s ON s.sent_at >= r.s AND s.sent_at < r.e
          CROSS JOIN LATERAL {_TICKET_OF.format(fk="s.ticket_id")} {_TICKET_DIMENSIONS}
         WHERE t.assignee_id IS NOT NULL AND cardinality(%(starts)s::timestamptz[]) > 0
      ) AS facts ({_FACT})
     GROUP BY day, agent_id, tier_id, channel, team_id, priority
  ) AS cells
 GROUP BY GROUPING SETS ((day, agent_id), (day, agent_id, tier_id), (day, agent_id, channel),
                         (day, agent_id, team_id), (day, agent_id, priority),
                         (day, agent_id, tier_id, channel, team_id, priority))
"""  # noqa: S608 (constants only)
_AGENT_DAYS_DELETE = """
DELETE FROM reports_agentrollup WHERE zone = %(zone)s AND grain = 0 AND day = ANY(%(days)s::date[])
"""
_AGENT_MONTHS_DELETE = """
DELETE FROM reports_agentrollup
 WHERE zone = %(zone)s AND grain = 1 AND day = ANY(%(months)s::date[])
"""
_AGENT_MONTHS_INSERT = f"""
INSERT INTO reports_agentrollup (zone, grain, day, {", ".join(AGENT_KEY)},
    {", ".join(AGENT_COUNTS)})
SELECT zone, 1, date_trunc('month', day)::date, {", ".join(AGENT_KEY)},
       {", ".join(f"SUM({c})" for c in AGENT_COUNTS)}
  FROM reports_agentrollup {_MONTHS_FILTER}
 GROUP BY zone, date_trunc('month', day), {", ".join(AGENT_KEY)}
"""  # noqa: S608 (constants only)
AGENT_DAYS_REPLACE = _replacing(_AGENT_DAYS_DELETE, _AGENT_DAYS_INSERT)
AGENT_MONTHS_REPLACE = _replacing(_AGENT_MONTHS_DELETE, _AGENT_MONTHS_INSERT)

# --- open tickets now, per UTC creation day (zone-independent) ----------------------------------

_OPEN_INSERT = """
INSERT INTO reports_openrollup (day, status, tier_id, team_id, channel, priority, tickets)
SELECT (t.created_at AT TIME ZONE 'UTC')::date, t.status, COALESCE(c.tier_id, o.tier_id),
       t.team_id, t.channel, t.priority, COUNT(*)
  FROM {source}
  LEFT JOIN customers_customer c ON c.id = t.requester_id
  LEFT JOIN customers_organization o ON o.id = t.organization_id
 WHERE t.status IN ('new', 'open', 'pending', 'on_hold')
 GROUP BY 1, 2, 3, 4, 5, 6
"""
# the marked UTC days, each a range of created_at (ticket_created_idx serves them)
OPEN_DAYS_REPLACE = _replacing(
    "DELETE FROM reports_openrollup WHERE day = ANY(%(utc_days)s::date[])",
    _OPEN_INSERT.format(
        source="unnest(%(utc_days)s::date[]) AS d(day) JOIN tickets_ticket t"
        " ON t.created_at >= (d.day::timestamp AT TIME ZONE 'UTC')"
        " AND t.created_at < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')"
    ),
)
OPEN_REBUILD = _replacing(
    "DELETE FROM reports_openrollup", _OPEN_INSERT.format(source="tickets_ticket t")
)
