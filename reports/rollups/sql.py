"""The SQL of the SLA rollups: recompute local days from the clocks, months from the days,
and the database triggers that mark what changed (installed by migration 0003)."""

from __future__ import annotations

from .bins import BINS, EDGES

BUSINESS = [f"b{i:02d}" for i in range(BINS)]
CALENDAR = [f"c{i:02d}" for i in range(BINS)]
KEY = ("cuboid", "tier_id", "channel", "team_id", "priority", "metric", "level")
COUNTS = ("met", "breached", *BUSINESS, *CALENDAR)
# cuboid bits, in GROUPING()'s order: tier 8, channel 4, team 2, priority 1 (0: overall;
# FULL = 15: every dimension at once, the rows a filtered report sums over, as the flow rollup)
CUBOID_BITS = {"tier": 8, "channel": 4, "team": 2, "priority": 1}
FULL = 15
EDGES_SQL = "ARRAY[" + ", ".join(repr(e) for e in EDGES) + "]::float8[]"


def _bin_counts() -> str:
    business = [f"COUNT(*) FILTER (WHERE bb = {i}) AS b{i:02d}" for i in range(BINS)]
    calendar = [f"COUNT(*) FILTER (WHERE cb = {i}) AS c{i:02d}" for i in range(BINS)]
    return ",\n           ".join(business + calendar)


# One row per (local day, metric, level) overall, by each single dimension and by all of them
# (cuboid FULL: what a filtered report sums over), from the settled
# clocks (fulfilled, or marked breached: their state no longer depends on the time) of the
# tickets created in the given [start, end) ranges (runs of local days). Breached: marked by
# the sweep or fulfilled after the due time; met: fulfilled otherwise (the rule of
# reports.selectors.sla._sla_state). Two steps: the clocks counted per full key (the
# histograms' filters evaluated once per clock), then those cells summed per grouping set.
_DAYS_INSERT = """
INSERT INTO reports_slarollup (zone, grain, day, {key}, {counts})
SELECT %(zone)s, 0, day, 15 - GROUPING(tier_id, channel, team_id, priority),
       tier_id, channel, team_id, priority, metric, level, {sums}
  FROM (
    SELECT day, tier_id, channel, team_id, priority, metric, level,
           COUNT(*) FILTER (WHERE bb >= 0 AND NOT late) AS met,
           COUNT(*) FILTER (WHERE late) AS breached,
           {bin_counts}
      FROM (
        SELECT (t.created_at AT TIME ZONE %(zone)s)::date AS day,
               COALESCE(c.tier_id, o.tier_id) AS tier_id, t.channel, t.team_id, t.priority,
               k.metric, k.escalation_level AS level,
               (k.breached_at IS NOT NULL OR k.fulfilled_at > k.due_at) AS late,
               -- the bins of fulfilled clocks only (-1: not fulfilled)
               CASE WHEN k.fulfilled_at IS NULL THEN -1
                    ELSE width_bucket(GREATEST(k.consumed_minutes, 0), {edges}) - 1 END AS bb,
               CASE WHEN k.fulfilled_at IS NULL THEN -1
                    ELSE width_bucket(GREATEST(EXTRACT(EPOCH FROM (k.fulfilled_at - k.started_at))
                                               / 60.0, 0), {edges}) - 1 END AS cb
          FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[]) AS r(s, e)
          JOIN tickets_ticket t ON t.created_at >= r.s AND t.created_at < r.e
          JOIN slas_slaclock k ON k.ticket_id = t.id
          JOIN customers_customer c ON c.id = t.requester_id
          LEFT JOIN customers_organization o ON o.id = t.organization_id
         WHERE (k.fulfilled_at IS NOT NULL OR k.breached_at IS NOT NULL)
       AND cardinality(%(starts)s::timestamptz[]) > 0
      ) AS settled
     GROUP BY day, tier_id, channel, team_id, priority, metric, level
  ) AS cells
 GROUP BY GROUPING SETS ((day, metric, level), (day, metric, level, tier_id),
                         (day, metric, level, channel), (day, metric, level, team_id),
                         (day, metric, level, priority),
                         (day, metric, level, tier_id, channel, team_id, priority))
"""
DAYS_INSERT = _DAYS_INSERT.format(
    key=", ".join(KEY),
    counts=", ".join(COUNTS),
    sums=", ".join(f"SUM({c})" for c in COUNTS),
    bin_counts=_bin_counts(),
    edges=EDGES_SQL,
)

DAYS_DELETE = """
DELETE FROM reports_slarollup WHERE zone = %(zone)s AND grain = 0 AND day = ANY(%(days)s::date[])
"""

MONTHS_DELETE = """
DELETE FROM reports_slarollup WHERE zone = %(zone)s AND grain = 1 AND day = ANY(%(months)s::date[])
"""

_MONTHS_INSERT = """
INSERT INTO reports_slarollup (zone, grain, day, {key}, {counts})
SELECT zone, 1, date_trunc('month', day)::date, {key},
       {sums}
  FROM reports_slarollup
 WHERE zone = %(zone)s AND grain = 0 AND cardinality(%(months)s::date[]) > 0
   AND day >= %(first_month)s AND day < %(after_months)s
   AND date_trunc('month', day)::date = ANY(%(months)s::date[])
 GROUP BY zone, date_trunc('month', day), {key}
"""

MONTHS_INSERT = _MONTHS_INSERT.format(
    key=", ".join(KEY), counts=", ".join(COUNTS), sums=", ".join(f"SUM({c})" for c in COUNTS)
)

# --- satisfaction: surveys per local day of sending ---------------------------------------------

SURVEY_KEY = ("cuboid", "tier_id", "channel", "team_id", "agent_id")
SURVEY_COUNTS = (
    "sent", "answers", "csat_answers", "csat_sum", "ces_answers", "ces_sum", "nps_answers",
    "promoters", "detractors",
)  # fmt: skip
SURVEY_CUBOID_BITS = {"tier": 8, "channel": 4, "team": 2, "agent": 1}  # and FULL, 15
# The rules of reports.selectors.satisfaction._satisfaction_aggregates, summed.
_SURVEY_DAYS_INSERT = """
INSERT INTO reports_surveyrollup (zone, grain, day, {key}, {counts})
SELECT %(zone)s, 0, day, 15 - GROUPING(tier_id, channel, team_id, agent_id),
       tier_id, channel, team_id, agent_id,
       COUNT(*), COUNT(*) FILTER (WHERE answered),
       COUNT(*) FILTER (WHERE answered AND csat IS NOT NULL),
       COALESCE(SUM(csat) FILTER (WHERE answered), 0),
       COUNT(*) FILTER (WHERE answered AND ces IS NOT NULL),
       COALESCE(SUM(ces) FILTER (WHERE answered), 0),
       COUNT(*) FILTER (WHERE answered AND nps IS NOT NULL),
       COUNT(*) FILTER (WHERE answered AND nps >= 9),
       COUNT(*) FILTER (WHERE answered AND nps <= 6)
  FROM (
    SELECT (s.sent_at AT TIME ZONE %(zone)s)::date AS day,
           COALESCE(c.tier_id, o.tier_id) AS tier_id, t.channel, t.team_id,
           t.assignee_id AS agent_id, s.answered_at IS NOT NULL AS answered,
           s.csat, s.ces, s.nps
      FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[]) AS r(s, e)
      JOIN followups_survey s ON s.sent_at >= r.s AND s.sent_at < r.e
      JOIN tickets_ticket t ON t.id = s.ticket_id
      JOIN customers_customer c ON c.id = t.requester_id
      LEFT JOIN customers_organization o ON o.id = t.organization_id
     WHERE cardinality(%(starts)s::timestamptz[]) > 0
  ) AS surveys
 GROUP BY GROUPING SETS ((day), (day, tier_id), (day, channel), (day, team_id), (day, agent_id),
                         (day, tier_id, channel, team_id, agent_id))
"""
SURVEY_DAYS_INSERT = _SURVEY_DAYS_INSERT.format(
    key=", ".join(SURVEY_KEY), counts=", ".join(SURVEY_COUNTS)
)
SURVEY_DAYS_DELETE = """
DELETE FROM reports_surveyrollup WHERE zone = %(zone)s AND grain = 0 AND day = ANY(%(days)s::date[])
"""
SURVEY_MONTHS_DELETE = """
DELETE FROM reports_surveyrollup
 WHERE zone = %(zone)s AND grain = 1 AND day = ANY(%(months)s::date[])
"""
_SURVEY_MONTHS_INSERT = """
INSERT INTO reports_surveyrollup (zone, grain, day, {key}, {counts})
SELECT zone, 1, date_trunc('month', day)::date, {key}, {sums}
  FROM reports_surveyrollup
 WHERE zone = %(zone)s AND grain = 0 AND cardinality(%(months)s::date[]) > 0
   AND day >= %(first_month)s AND day < %(after_months)s
   AND date_trunc('month', day)::date = ANY(%(months)s::date[])
 GROUP BY zone, date_trunc('month', day), {key}
"""
SURVEY_MONTHS_INSERT = _SURVEY_MONTHS_INSERT.format(
    key=", ".join(SURVEY_KEY),
    counts=", ".join(SURVEY_COUNTS),
    sums=", ".join(f"SUM({c})" for c in SURVEY_COUNTS),
)

# --- triggers: every write to what the rollups count marks its tickets' UTC creation days ---

_UTC_DAY = "(t.created_at AT TIME ZONE 'UTC')::date"
_SETTLED = "({r}.fulfilled_at IS NOT NULL OR {r}.breached_at IS NOT NULL)"
_CLOCK_FIELDS = (
    "ticket_id, metric, fulfilled_at, breached_at, due_at, consumed_minutes, started_at, "
    "escalation_level"
)

_TRIGGERS = """
CREATE OR REPLACE FUNCTION reports_rollup_clocks_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT {utc_day} FROM new_rows n JOIN tickets_ticket t ON t.id = n.ticket_id
     WHERE {settled_n}
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_rollup_clocks_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT {utc_day}
      FROM new_rows n JOIN old_rows o ON o.id = n.id,
           LATERAL (VALUES (n.ticket_id), (o.ticket_id)) AS v(ticket_id)
      JOIN tickets_ticket t ON t.id = v.ticket_id
     WHERE ({settled_n} OR {settled_o})
       AND ROW({fields_n})
           IS DISTINCT FROM
           ROW({fields_o})
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_rollup_clocks_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT {utc_day} FROM old_rows o JOIN tickets_ticket t ON t.id = o.ticket_id
     WHERE {settled_o}
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_rollup_tickets_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT v.day
      FROM new_rows n JOIN old_rows o ON o.id = n.id,
           LATERAL (VALUES ((n.created_at AT TIME ZONE 'UTC')::date),
                           ((o.created_at AT TIME ZONE 'UTC')::date)) AS v(day)
     WHERE ROW(n.created_at, n.team_id, n.channel, n.priority, n.requester_id, n.organization_id)
           IS DISTINCT FROM
           ROW(o.created_at, o.team_id, o.channel, o.priority, o.requester_id, o.organization_id)
    ON CONFLICT DO NOTHING;
    -- their surveys count by the ticket's tier, channel, team and assignee
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT (s.sent_at AT TIME ZONE 'UTC')::date
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN followups_survey s ON s.ticket_id = n.id AND s.sent_at IS NOT NULL
     WHERE ROW(n.team_id, n.channel, n.assignee_id, n.requester_id, n.organization_id)
           IS DISTINCT FROM
           ROW(o.team_id, o.channel, o.assignee_id, o.requester_id, o.organization_id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_rollup_customers_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT {utc_day}
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN tickets_ticket t ON t.requester_id = n.id
     WHERE n.tier_id IS DISTINCT FROM o.tier_id
    ON CONFLICT DO NOTHING;
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT (s.sent_at AT TIME ZONE 'UTC')::date
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN tickets_ticket t ON t.requester_id = n.id
      JOIN followups_survey s ON s.ticket_id = t.id AND s.sent_at IS NOT NULL
     WHERE n.tier_id IS DISTINCT FROM o.tier_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_rollup_organizations_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT {utc_day}
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN tickets_ticket t ON t.organization_id = n.id
     WHERE n.tier_id IS DISTINCT FROM o.tier_id
    ON CONFLICT DO NOTHING;
    INSERT INTO reports_rollupdirtyday (day)
    SELECT DISTINCT (s.sent_at AT TIME ZONE 'UTC')::date
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN tickets_ticket t ON t.organization_id = n.id
      JOIN followups_survey s ON s.ticket_id = t.id AND s.sent_at IS NOT NULL
     WHERE n.tier_id IS DISTINCT FROM o.tier_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reports_rollup_surveys_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO reports_rollupdirtyday (day)
        SELECT DISTINCT (n.sent_at AT TIME ZONE 'UTC')::date FROM new_rows n
         WHERE n.sent_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO reports_rollupdirtyday (day)
        SELECT DISTINCT (o.sent_at AT TIME ZONE 'UTC')::date FROM old_rows o
         WHERE o.sent_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER reports_rollup_surveys_inserted AFTER INSERT ON followups_survey
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_surveys_changed();
CREATE TRIGGER reports_rollup_surveys_updated AFTER UPDATE ON followups_survey
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_surveys_changed();
CREATE TRIGGER reports_rollup_surveys_deleted AFTER DELETE ON followups_survey
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_surveys_changed();
CREATE TRIGGER reports_rollup_clocks_inserted AFTER INSERT ON slas_slaclock
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_clocks_inserted();
CREATE TRIGGER reports_rollup_clocks_updated AFTER UPDATE ON slas_slaclock
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_clocks_updated();
CREATE TRIGGER reports_rollup_clocks_deleted AFTER DELETE ON slas_slaclock
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_clocks_deleted();
CREATE TRIGGER reports_rollup_tickets_updated AFTER UPDATE ON tickets_ticket
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_tickets_updated();
CREATE TRIGGER reports_rollup_customers_updated AFTER UPDATE ON customers_customer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_customers_updated();
CREATE TRIGGER reports_rollup_organizations_updated AFTER UPDATE ON customers_organization
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_rollup_organizations_updated();
"""

TRIGGERS = _TRIGGERS.format(
    utc_day=_UTC_DAY,
    settled_n=_SETTLED.format(r="n"),
    settled_o=_SETTLED.format(r="o"),
    fields_n=", ".join(f"n.{f}" for f in _CLOCK_FIELDS.split(", ")),
    fields_o=", ".join(f"o.{f}" for f in _CLOCK_FIELDS.split(", ")),
)

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS reports_rollup_clocks_inserted ON slas_slaclock;
DROP TRIGGER IF EXISTS reports_rollup_clocks_updated ON slas_slaclock;
DROP TRIGGER IF EXISTS reports_rollup_clocks_deleted ON slas_slaclock;
DROP TRIGGER IF EXISTS reports_rollup_tickets_updated ON tickets_ticket;
DROP TRIGGER IF EXISTS reports_rollup_customers_updated ON customers_customer;
DROP TRIGGER IF EXISTS reports_rollup_organizations_updated ON customers_organization;
DROP TRIGGER IF EXISTS reports_rollup_surveys_inserted ON followups_survey;
DROP TRIGGER IF EXISTS reports_rollup_surveys_updated ON followups_survey;
DROP TRIGGER IF EXISTS reports_rollup_surveys_deleted ON followups_survey;
DROP FUNCTION IF EXISTS reports_rollup_surveys_changed();
DROP FUNCTION IF EXISTS reports_rollup_clocks_inserted();
DROP FUNCTION IF EXISTS reports_rollup_clocks_updated();
DROP FUNCTION IF EXISTS reports_rollup_clocks_deleted();
DROP FUNCTION IF EXISTS reports_rollup_tickets_updated();
DROP FUNCTION IF EXISTS reports_rollup_customers_updated();
DROP FUNCTION IF EXISTS reports_rollup_organizations_updated();
"""


def _replacing(delete: str, insert: str) -> str:
    """One statement: the DELETE as a data-modifying CTE, then the INSERT (both see the same
    snapshot, so the INSERT never reads what the DELETE removes in the same statement)."""
    return f"WITH replaced AS ({delete.strip()} RETURNING 1)\n{insert.strip()}"


# Day rows replaced in one statement; month rows (read from the day rows, which must be
# written first) in a second.
DAYS_REPLACE = _replacing(DAYS_DELETE, DAYS_INSERT)
MONTHS_REPLACE = _replacing(MONTHS_DELETE, MONTHS_INSERT)
SURVEY_DAYS_REPLACE = _replacing(SURVEY_DAYS_DELETE, SURVEY_DAYS_INSERT)
SURVEY_MONTHS_REPLACE = _replacing(SURVEY_MONTHS_DELETE, SURVEY_MONTHS_INSERT)
