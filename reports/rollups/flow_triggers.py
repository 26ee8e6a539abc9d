"""The triggers of the flow (backlog), open, pending and agents rollups (reports/rollups/
flow_sql.py): they mark the UTC days those count by (ticket created and solved, agent reply
written, status changed, first response fulfilled; every day of a ticket whose dimensions,
assignee or tier change), in the writer's transaction. Installed by migrations 0007 and 0009."""

from __future__ import annotations

from .flow_sql import _AGENT_REPLY

# --- triggers: the UTC days these rollups count by ----------------------------------------------

_MARK = "INSERT INTO reports_rollupdirtyday (day)"
_UTC = "AT TIME ZONE 'UTC')::date"
# A changed ticket's days, found once; most updates change none of these columns (the SLA
# engine's next_due_at, a subject, a version bump) and return at once (migration 0013).
_COUNTED = (
    "created_at", "solved_at", "status", "team_id", "channel", "priority", "requester_id",
    "organization_id", "assignee_id",
)  # fmt: skip
_NEW, _OLD = (", ".join(f"{row}.{column}" for column in _COUNTED) for row in "no")
TICKETS_CHANGED = f"""
CREATE OR REPLACE FUNCTION reports_flow_tickets_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint[];
BEGIN
    changed := ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE ROW({_NEW}) IS DISTINCT FROM ROW({_OLD}));
    IF cardinality(changed) = 0 THEN
        RETURN NULL;
    END IF;
    {_MARK}  -- the old created and solved days of changed tickets
    SELECT DISTINCT d FROM old_rows o,
           LATERAL (VALUES ((o.created_at {_UTC}), ((o.solved_at {_UTC})) AS v(d)
     WHERE d IS NOT NULL AND o.id = ANY(changed)
    ON CONFLICT DO NOTHING;
    PERFORM reports_mark_ticket_days(changed);
    RETURN NULL;
END $$;
"""  # noqa: S608 (constants only)

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

{TICKETS_CHANGED}
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
