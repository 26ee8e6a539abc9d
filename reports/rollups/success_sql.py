"""The SQL of the success report's retention rollup (reports.models.RetentionRollup): periods
recomputed from the tickets, and the triggers that mark what the other rollups' triggers do not
(a ticket's kind, a customer's organization, an organization's tier through its customers).
The rule is reports.selectors.success.RETENTION_SQL's: a customer is active in a period when
it opened a reactive ticket in it; active again when it also did in the period before."""

from __future__ import annotations

from .sql import _replacing

RETENTION_PERIODS = {"day": "1 day", "week": "7 days", "month": "1 month"}

_LOCAL = "(({day})::timestamp AT TIME ZONE %(zone)s)"
# Each period start given (and the period before it) read once: per customer, the local day of
# its first reactive ticket in the period and whether it opened one in the period before.
_RETENTION_INSERT = """
INSERT INTO reports_retentionrollup (zone, period, start, day, tier_id, active, returned)
SELECT %(zone)s, '{period}', a.start, a.first_day, COALESCE(c.tier_id, o.tier_id),
       COUNT(*), COUNT(*) FILTER (WHERE a.before)
  FROM (
    SELECT p.start, t.requester_id AS customer_id,
           MIN((t.created_at AT TIME ZONE %(zone)s)::date)
               FILTER (WHERE t.created_at >= {period_start}) AS first_day,
           bool_or(t.created_at < {period_start}) AS before
      FROM unnest(%({starts})s::date[]) AS p(start)
      JOIN tickets_ticket t ON t.created_at >= {previous_start} AND t.created_at < {next_start}
     WHERE t.kind = 'reactive'
     GROUP BY p.start, t.requester_id
  ) AS a
  JOIN customers_customer c ON c.id = a.customer_id
  LEFT JOIN customers_organization o ON o.id = c.organization_id
 WHERE a.first_day IS NOT NULL
 GROUP BY a.start, a.first_day, COALESCE(c.tier_id, o.tier_id)
"""
_RETENTION_DELETE = """
DELETE FROM reports_retentionrollup
 WHERE zone = %(zone)s AND period = '{period}' AND start = ANY(%({starts})s::date[])
"""


def retention_starts_param(period: str) -> str:
    """The name of the parameter holding the period starts to recompute for `period`."""
    return f"retention_{period}_starts"


def _retention_replace(period: str) -> str:
    step = RETENTION_PERIODS[period]
    starts = retention_starts_param(period)
    return _replacing(
        _RETENTION_DELETE.format(period=period, starts=starts),
        _RETENTION_INSERT.format(
            period=period,
            starts=starts,
            period_start=_LOCAL.format(day="p.start"),
            previous_start=_LOCAL.format(day=f"p.start - interval '{step}'"),
            next_start=_LOCAL.format(day=f"p.start + interval '{step}'"),
        ),
    )


RETENTION_REPLACE = [_retention_replace(period) for period in RETENTION_PERIODS]

# --- triggers: what the flow and SLA triggers do not mark ---------------------------------------

_MARK = "INSERT INTO reports_rollupdirtyday (day)"
# One AFTER UPDATE statement trigger per table: (name, table, the UTC days it marks, the rows
# they come from: FROM ... WHERE over the statement's new_rows n and old_rows o).
_UPDATED = (
    (
        "tickets",
        "tickets_ticket",
        "(v.created_at AT TIME ZONE 'UTC')::date",
        """new_rows n JOIN old_rows o ON o.id = n.id,
           LATERAL (VALUES (n.created_at), (o.created_at)) AS v(created_at)
     WHERE n.kind IS DISTINCT FROM o.kind""",
    ),
    (
        "customers",
        "customers_customer",
        "(t.created_at AT TIME ZONE 'UTC')::date",
        """new_rows n JOIN old_rows o ON o.id = n.id
      JOIN tickets_ticket t ON t.requester_id = n.id
     WHERE n.organization_id IS DISTINCT FROM o.organization_id""",
    ),
    (
        "organizations",
        "customers_organization",
        "(t.created_at AT TIME ZONE 'UTC')::date",
        """new_rows n JOIN old_rows o ON o.id = n.id
      JOIN customers_customer c ON c.organization_id = n.id
      JOIN tickets_ticket t ON t.requester_id = c.id
     WHERE n.tier_id IS DISTINCT FROM o.tier_id""",
    ),
)


def _function(name: str, day: str, rows: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION reports_success_{name}_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_MARK}
    SELECT DISTINCT {day}
      FROM {rows}
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
"""  # noqa: S608 (constants only)


def _trigger(name: str, table: str) -> str:
    return f"""CREATE TRIGGER reports_success_{name}_updated AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_success_{name}_updated();
"""


TRIGGERS = "".join(_function(n, day, rows) for n, _, day, rows in _UPDATED) + "".join(
    _trigger(n, table) for n, table, _, _ in _UPDATED
)
DROP_TRIGGERS = "".join(
    f"DROP TRIGGER IF EXISTS reports_success_{n}_updated ON {table};\n"
    for n, table, _, _ in _UPDATED
) + "".join(f"DROP FUNCTION IF EXISTS reports_success_{n}_updated();\n" for n, *_ in _UPDATED)
