"""The views' counts (desk.ticket_lists.view_links) with their SQL compiled once per process
and shape instead of on every page.

The count of every view is one aggregate statement, counted afresh on every request; but
the ORM compiled its eight or more filtered counts (subqueries, joins) anew each time, which
cost the queue page more CPU than anything else it does. The statement's shape depends on
the agent's role (tickets_visible_to) and saved views, its values on who asks (their id) and
when (now); so it is compiled once per shape, for two stand-in agents at two stand-in
instants, and compared: the SQL must be the same, and each value must be either the same
(a constant: a status, a team id of a saved view), the stand-in's id, or an instant that
moved with the stand-in's now (now minus seven days); and the first real agent's statement
must be exactly what the kept one gives for them. Anything else and the shape is not kept:
every request compiles it with the ORM, as before. The statement is the ORM's own
(stopped at an execute wrapper, never sent; not while queries are logged, which would list
it), so the counts are the ones `aggregate()` gives (tests/desk/test_view_counts.py compares
both).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, QuerySet

# A builder of the counted queryset and its aggregates (by alias) for an agent and instant.
Build = Callable[[object, datetime], tuple[QuerySet, dict[str, Aggregate]]]

_STAND_IN_IDS = (-7_000_001, -7_000_002)  # ids no row holds
_STAND_IN_NOWS = (
    datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime(2003, 4, 5, 6, 7, 8, tzinfo=UTC),
)


class _Captured(Exception):
    """The statement the ORM was about to send, stopped at the execute wrapper."""


@dataclass(frozen=True)
class _UserId:
    """The asking agent's id goes here."""


@dataclass(frozen=True)
class _FromNow:
    """An instant this far from now goes here."""

    offset: timedelta


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple
    aliases: tuple[str, ...]


def _compiled(queryset: QuerySet, aggregates: dict[str, Aggregate]) -> tuple[str, tuple] | None:
    """The statement `queryset.aggregate(**aggregates)` sends, without sending it (None when
    the ORM answers without one: an empty queryset)."""

    def stop(execute, sql, params, many, context):
        raise _Captured(sql, tuple(params or ()))

    with connection.execute_wrapper(stop):
        try:
            queryset.aggregate(**aggregates)
        except _Captured as captured:
            return captured.args
    return None


def _stand_in(user, pk: int):
    other = copy.copy(user)
    other.pk = pk
    return other


def _value(a, b) -> object:
    """What a parameter is, from its values in the two stand-in compilations."""
    if a == b and not isinstance(a, datetime):
        return a
    if (a, b) == _STAND_IN_IDS:
        return _UserId()
    moved = _STAND_IN_NOWS[1] - _STAND_IN_NOWS[0]
    if isinstance(a, datetime) and isinstance(b, datetime) and b - a == moved:
        return _FromNow(a - _STAND_IN_NOWS[0])
    raise ValueError("a value that is neither constant, the agent's id nor from now")


def _statement(build: Build, user, now: datetime) -> _Statement | None:
    compiled = []
    for pk, instant in zip(_STAND_IN_IDS, _STAND_IN_NOWS, strict=True):
        queryset, aggregates = build(_stand_in(user, pk), instant)
        compiled.append((_compiled(queryset, aggregates), tuple(aggregates)))
    (first, aliases), (second, other_aliases) = compiled
    if first is None or second is None or first[0] != second[0] or aliases != other_aliases:
        return None
    try:
        params = tuple(_value(a, b) for a, b in zip(first[1], second[1], strict=True))
    except ValueError:
        return None
    statement = _Statement(first[0], params, aliases)
    # And for the real agent and instant: the kept statement must be exactly what the ORM
    # sends for them (a condition that read the agent's rows in Python, e.g. a list of their
    # team ids, is the same empty list for both stand-ins but not for a real agent).
    queryset, aggregates = build(user, now)
    if _compiled(queryset, aggregates) != (statement.sql, tuple(_params(statement, user, now))):
        return None
    return statement


def _params(statement: _Statement, user, now: datetime) -> list:
    return [
        user.pk if isinstance(p, _UserId) else now + p.offset if isinstance(p, _FromNow) else p
        for p in statement.params
    ]


_KEPT: OrderedDict[Hashable, _Statement | None] = OrderedDict()
_KEPT_SHAPES = 512  # the most recently used ones (a shape per role and set of saved views)


_KEPT_LOCK = threading.Lock()


def _kept(shape: Hashable, build: Build, user, now: datetime) -> _Statement | None:
    with _KEPT_LOCK:
        if shape in _KEPT:
            _KEPT.move_to_end(shape)
            return _KEPT[shape]
    if connection.queries_logged:
        # A debug cursor (DEBUG, assertNumQueries) would log the stopped statements as sent:
        # compile the stand-ins on a later request.
        return None
    statement = _statement(build, user, now)
    with _KEPT_LOCK:
        _KEPT[shape] = statement
        while len(_KEPT) > _KEPT_SHAPES:
            _KEPT.popitem(last=False)
    return statement


def counts(shape: Hashable, build: Build, user, now: datetime) -> dict:
    """`queryset.aggregate(**aggregates)` for `build(user, now)`, compiled once per `shape`
    (what decides the statement's form besides the agent's id and the instant)."""
    statement = _kept(shape, build, user, now)
    if statement is None:
        queryset, aggregates = build(user, now)
        return queryset.aggregate(**aggregates)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, _params(statement, user, now))
        row = cursor.fetchone()
    return dict(zip(statement.aliases, row, strict=True))
