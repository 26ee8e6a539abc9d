"""A cursor that binds parameters in the client, for a script of several statements sent at once.

On PostgreSQL the service binds parameters on the server and prepares the statements it runs
often (config.settings, `DB_PREPARED_STATEMENTS`): a statement then travels as text with `$1`
placeholders and its values apart. PostgreSQL's extended protocol takes one statement per
message, so a script of several statements with parameters (the report rollups' recompute, one
round trip for twelve statements) is sent with its values quoted into the text by psycopg, as
Django's default cursor does. Elsewhere (SQLite, or prepared statements switched off) this is
the ordinary cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.backends.utils import CursorWrapper


@contextmanager
def script_cursor(using: str = "default") -> Iterator[CursorWrapper]:
    """A Django cursor (its queries counted and logged as any other) that quotes parameters
    into the query's text, so one `execute` may carry several statements."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get(
        "server_side_binding"
    ):
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import Cursor  # psycopg's ClientCursor, Django's

    connection.ensure_connection()
    raw = connection.connection
    factory, raw.cursor_factory = raw.cursor_factory, Cursor
    try:
        cursor = connection.cursor()
    finally:
        raw.cursor_factory = factory
    with cursor:
        yield cursor
