"""Query helpers for the reports: which database they read, and the two SQL aggregates Django
lacks (percentiles; minutes between two instants)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Aggregate, FloatField, Func

from .routers import REPLICA


def report_database() -> str:
    """The replica when one is configured (DATABASE_REPLICA_URL), else the primary."""
    return REPLICA if REPLICA in settings.DATABASES else "default"


@contextmanager
def without_jit(db: str) -> Iterator[None]:
    """A transaction on `db` in which PostgreSQL does not JIT-compile: the rollup statements
    (150 aggregates each) look expensive to the planner, and compiling them cost 10-17 s
    per statement on the benchmark machine, for statements that then run in milliseconds."""
    with transaction.atomic(using=db):
        if connections[db].vendor == "postgresql":
            with connections[db].cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile: `percentile_cont(0.9) WITHIN GROUP (ORDER BY x)`.
    (SQLite has no ordered-set aggregates: there the percentiles read as null.)"""

    function = "percentile_cont"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction from 0 to 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


class MinutesBetween(Func):
    """Calendar minutes from the first instant to the second (PostgreSQL)."""

    output_field = FloatField()
    arity = 2
    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 60.0)"
    arg_joiner = " - "

    def __init__(self, start, end, **extra):
        # EXTRACT(EPOCH FROM end - start)
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 1440.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )
