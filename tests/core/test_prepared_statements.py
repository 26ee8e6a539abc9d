"""Server-side binding and prepared statements on PostgreSQL (config.settings,
DB_PREPARED_STATEMENTS), and the client-side cursor a multi-statement script needs
(core.cursors.script_cursor)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.db.utils import ProgrammingError

from core.cursors import script_cursor
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (run with make test)")


def _prepared(fragment: str) -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchall()


def test_a_statement_run_often_is_prepared_once_and_then_executed():
    for pk in range(8):
        list(Ticket.objects.filter(pk=pk, subject="prepared probe"))

    plans = _prepared("prepared probe")
    # the literal went as a parameter: one prepared statement, not eight texts
    assert plans == []
    plans = _prepared('"tickets_ticket"."subject" = $2')
    assert len(plans) == 1
    generic, custom = plans[0]
    # prepared on the threshold's run, then run from the prepared statement (the plans
    # counted are those of the runs after it was prepared)
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    assert generic + custom == 8 - threshold


def test_the_ordinary_cursor_refuses_a_script_with_parameters():
    """What script_cursor is for: with parameters bound by the server, PostgreSQL takes one
    statement per message."""
    with pytest.raises(ProgrammingError, match="multiple commands"), connection.cursor() as cursor:
        cursor.execute("SELECT %s; SELECT %s", [1, 2])


def test_a_script_with_parameters_runs_whole_on_the_script_cursor():
    with script_cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)
        cursor.execute(
            "CREATE TEMP TABLE script_probe (n int, s text);"
            " INSERT INTO script_probe VALUES (%(n)s, %(s)s);"
            " INSERT INTO script_probe VALUES (%(n)s + 1, %(s)s)",
            {"n": 41, "s": "it's quoted"},
        )
    with connection.cursor() as cursor:
        # the connection's own cursors bind on the server again
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)
        cursor.execute("SELECT n, s FROM script_probe ORDER BY n")
        assert cursor.fetchall() == [(41, "it's quoted"), (42, "it's quoted")]
