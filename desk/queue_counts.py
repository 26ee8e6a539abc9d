"""The counts of the built-in views that depend only on a ticket's team, assignee and status
(mine, unassigned, open of my teams, pending, on hold), read from the rows PostgreSQL's
triggers keep (desk.models.QueueCount) instead of counting the live backlog on every page:
the aggregate over every open ticket of an agent's teams grew with the backlog (17.6 ms at
7,700 open tickets, 21 ms at 15,000), a sum over the kept rows does not.

Which buckets a view counts is the view's own rule (desk.ticket_lists.BuiltinView.in_bucket,
beside its Q); tests/desk/test_queue_counts.py holds both equal over tickets of every status,
team and assignee, after moves and deletes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Bucket:
    """Live tickets of one status and assignee, in one of the asking agent's teams or not."""

    my_team: bool
    assignee_id: int | None
    status: str


# One row per bucket with tickets; the agent's id is every parameter.
_MANAGER_SUMS = (
    "SELECT coalesce(q.team_id IN"
    " (SELECT m.team_id FROM tickets_team_members m WHERE m.user_id = %s), false),"
    " q.assignee_id, q.status, sum(q.n)"
    " FROM desk_queuecount q GROUP BY 1, 2, 3 HAVING sum(q.n) <> 0"
)
# The tickets an agent sees (tickets.selectors.tickets_visible_to): their teams' and their own.
_AGENT_SUMS = (
    "SELECT coalesce(q.team_id IN"
    " (SELECT m.team_id FROM tickets_team_members m WHERE m.user_id = %s), false),"
    " q.assignee_id, q.status, sum(q.n)"
    " FROM desk_queuecount q"
    " WHERE q.team_id IN (SELECT m.team_id FROM tickets_team_members m WHERE m.user_id = %s)"
    " OR q.assignee_id = %s"
    " GROUP BY 1, 2, 3 HAVING sum(q.n) <> 0"
)


def tallied_for(user) -> bool:
    """Whether `user`'s view counts can come from the kept rows: on PostgreSQL (whose triggers
    keep them), for managers (every ticket) and agents (their teams' and their own)."""
    return connection.vendor == "postgresql" and (user.is_manager or user.is_agent)


def buckets(user) -> list[tuple[Bucket, int]]:
    """The live tickets `user` sees, by bucket (one statement). Only where `tallied_for(user)`."""
    sql = _MANAGER_SUMS if user.is_manager else _AGENT_SUMS
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk] * sql.count("%s"))
        return [(Bucket(mine, assignee, status), n) for mine, assignee, status, n in cursor]


def compact() -> int:
    """Fold the kept rows into one per bucket, in one statement (a ticket written meanwhile
    adds a row the statement does not see, so nothing is lost or counted twice). Returns how
    many rows were folded."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH folded AS (DELETE FROM desk_queuecount"
            " RETURNING team_id, assignee_id, status, n),"
            " kept AS (INSERT INTO desk_queuecount (team_id, assignee_id, status, n)"
            " SELECT team_id, assignee_id, status, sum(n) FROM folded"
            " GROUP BY 1, 2, 3 HAVING sum(n) <> 0)"
            " SELECT (SELECT count(*) FROM folded)"
        )
        return cursor.fetchone()[0]
