"""The SQL of the flow (backlog) and agents rollups: local days recomputed from the base
tables, months from the days, and the triggers that mark the UTC days they count by (ticket
created, ticket solved, agent reply written, first response fulfilled, survey sent), installed
by migration 0006. Each day's rows are replaced in one statement, like the SLA rollups."""

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
# csat: an answered survey's CSAT), counted per full key, then summed per grouping set. The
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
                         (day, agent_id, team_id), (day, agent_id, priority))
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

# --- triggers: the UTC days these rollups count by ----------------------------------------------

_MARK = "INSERT INTO reports_rollupdirtyday (day)"
_UTC = "AT TIME ZONE 'UTC')::date"
TRIGGERS = f"""
-- every day a ticket's facts count on: created, solved, its agent replies, its fulfilled
-- first response, its surveys (called when the ticket's dimensions or assignee change)
CREATE OR REPLACE FUNCTION reports_mark_ticket_days(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    {_MARK}
    SELECT DISTINCT d FROM (
        SELECT (t.created_at {_UTC} FROM tickets_ticket t WHERE t.id = ANY(ids)
        UNION ALL SELECT (t.solved_at {_UTC} FROM tickets_ticket t
                   WHERE t.id = ANY(ids) AND t.solved_at IS NOT NULL
        UNION ALL SELECT (m.created_at {_UTC} FROM tickets_message m
                   WHERE m.ticket_id = ANY(ids) AND {_AGENT_REPLY}
        UNION ALL SELECT (k.fulfilled_at {_UTC} FROM slas_slaclock k
                   WHERE k.ticket_id = ANY(ids) AND k.metric = 'first_response'
                     AND k.fulfilled_at IS NOT NULL
        UNION ALL SELECT (s.sent_at {_UTC} FROM followups_survey s
                   WHERE s.ticket_id = ANY(ids) AND s.sent_at IS NOT NULL
    ) AS v(d)
    ON CONFLICT DO NOTHING;
$$;

CREATE OR REPLACE FUNCTION reports_flow_tickets_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_MARK}  -- the old created and solved days of changed tickets
    SELECT DISTINCT d FROM new_rows n JOIN old_rows o ON o.id = n.id,
           LATERAL (VALUES ((o.created_at {_UTC}), ((o.solved_at {_UTC})) AS v(d)
     WHERE d IS NOT NULL
       AND ROW(n.created_at, n.solved_at, n.status, n.team_id, n.channel, n.priority,
               n.requester_id, n.organization_id, n.assignee_id)
           IS DISTINCT FROM
           ROW(o.created_at, o.solved_at, o.status, o.team_id, o.channel, o.priority,
               o.requester_id, o.organization_id, o.assignee_id)
    ON CONFLICT DO NOTHING;
    PERFORM reports_mark_ticket_days(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE ROW(n.created_at, n.solved_at, n.status, n.team_id, n.channel, n.priority,
                   n.requester_id, n.organization_id, n.assignee_id)
               IS DISTINCT FROM
               ROW(o.created_at, o.solved_at, o.status, o.team_id, o.channel, o.priority,
                   o.requester_id, o.organization_id, o.assignee_id)));
    RETURN NULL;
END $$;

-- a ticket inserted or deleted: the transition table is named per trigger
CREATE OR REPLACE FUNCTION reports_flow_tickets_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_MARK}
    SELECT DISTINCT d FROM new_rows,
           LATERAL (VALUES ((created_at {_UTC}), ((solved_at {_UTC})) AS v(d)
     WHERE d IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_flow_tickets_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_MARK}
    SELECT DISTINCT d FROM old_rows,
           LATERAL (VALUES ((created_at {_UTC}), ((solved_at {_UTC})) AS v(d)
     WHERE d IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- agent replies: the reply's day (agents) and its ticket's creation day (one touch)
CREATE OR REPLACE FUNCTION reports_flow_messages_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        {_MARK}
        SELECT DISTINCT d FROM new_rows m JOIN tickets_ticket t ON t.id = m.ticket_id,
               LATERAL (VALUES ((m.created_at {_UTC}), ((t.created_at {_UTC})) AS v(d)
         WHERE {_AGENT_REPLY}
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        {_MARK}
        SELECT DISTINCT d FROM old_rows m LEFT JOIN tickets_ticket t ON t.id = m.ticket_id,
               LATERAL (VALUES ((m.created_at {_UTC}), ((t.created_at {_UTC})) AS v(d)
         WHERE {_AGENT_REPLY} AND d IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- status changes (a reopen, a pending stretch): their ticket's creation day
CREATE OR REPLACE FUNCTION reports_flow_events_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        {_MARK}
        SELECT DISTINCT (t.created_at {_UTC}
          FROM new_rows e JOIN tickets_ticket t ON t.id = e.ticket_id
         WHERE e.after ? 'status' OR e.before ? 'status'
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        {_MARK}
        SELECT DISTINCT (t.created_at {_UTC}
          FROM old_rows e JOIN tickets_ticket t ON t.id = e.ticket_id
         WHERE e.after ? 'status' OR e.before ? 'status'
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- first responses: the day of their fulfilment, old and new
CREATE OR REPLACE FUNCTION reports_flow_clocks_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        {_MARK}
        SELECT DISTINCT (n.fulfilled_at {_UTC} FROM new_rows n
         WHERE n.metric = 'first_response' AND n.fulfilled_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        {_MARK}
        SELECT DISTINCT (o.fulfilled_at {_UTC} FROM old_rows o
         WHERE o.metric = 'first_response' AND o.fulfilled_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- a customer's or an organization's tier: every day its tickets count on
CREATE OR REPLACE FUNCTION reports_flow_customers_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_mark_ticket_days(ARRAY(
        SELECT t.id FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN tickets_ticket t ON t.requester_id = n.id
         WHERE n.tier_id IS DISTINCT FROM o.tier_id));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_flow_organizations_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reports_mark_ticket_days(ARRAY(
        SELECT t.id FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN tickets_ticket t ON t.organization_id = n.id
         WHERE n.tier_id IS DISTINCT FROM o.tier_id));
    RETURN NULL;
END $$;

CREATE TRIGGER reports_flow_tickets_inserted AFTER INSERT ON tickets_ticket
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_flow_tickets_inserted();
CREATE TRIGGER reports_flow_tickets_updated AFTER UPDATE ON tickets_ticket
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_flow_tickets_changed();
CREATE TRIGGER reports_flow_tickets_deleted AFTER DELETE ON tickets_ticket
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_flow_tickets_deleted();
{
    "".join(
        f'''CREATE TRIGGER reports_flow_{name}_{done} AFTER {op} ON {table}
    REFERENCING {refs}
    FOR EACH STATEMENT EXECUTE FUNCTION reports_flow_{name}_changed();
'''
        for name, table in (
            ("messages", "tickets_message"),
            ("events", "tickets_ticketevent"),
            ("clocks", "slas_slaclock"),
        )
        for op, done, refs in (
            ("INSERT", "inserted", "NEW TABLE AS new_rows"),
            ("UPDATE", "updated", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "deleted", "OLD TABLE AS old_rows"),
        )
    )
}
CREATE TRIGGER reports_flow_customers_updated AFTER UPDATE ON customers_customer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_flow_customers_updated();
CREATE TRIGGER reports_flow_organizations_updated AFTER UPDATE ON customers_organization
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_flow_organizations_updated();
"""  # noqa: S608 (constants only)

_TRIGGER_NAMES = (
    ("tickets_inserted", "tickets_ticket"), ("tickets_updated", "tickets_ticket"),
    ("tickets_deleted", "tickets_ticket"),
    *((f"{n}_{op}", t) for n, t in (("messages", "tickets_message"),
      ("events", "tickets_ticketevent"), ("clocks", "slas_slaclock"))
      for op in ("inserted", "updated", "deleted")),
    ("customers_updated", "customers_customer"),
    ("organizations_updated", "customers_organization"),
)  # fmt: skip
_FUNCTIONS = (
    "reports_flow_tickets_changed()", "reports_flow_tickets_inserted()",
    "reports_flow_tickets_deleted()", "reports_flow_messages_changed()",
    "reports_flow_events_changed()", "reports_flow_clocks_changed()",
    "reports_flow_customers_updated()", "reports_flow_organizations_updated()",
    "reports_mark_ticket_days(bigint[])",
)  # fmt: skip
DROP_TRIGGERS = "".join(
    f"DROP TRIGGER IF EXISTS reports_flow_{name} ON {table};\n" for name, table in _TRIGGER_NAMES
) + "".join(f"DROP FUNCTION IF EXISTS {f};\n" for f in _FUNCTIONS)

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
