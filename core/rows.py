"""Model instances from hand-written SQL, for the few reads on every request's path.

The ORM compiles a query anew on each call (resolving lookups, joins and the select list),
which costs more CPU than PostgreSQL spends answering a unique-index lookup. Where one
statement runs on every ticket create or inbound message, its SQL is written once per
process with `columns` and its rows turned into instances with `instance`: the same
objects the ORM would give (saved state, related objects cached), minus the compiling.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


@cache
def _fields(model: type[Model]) -> tuple:
    return tuple(model._meta.concrete_fields)


def columns(model: type[Model], alias: str) -> str:
    """The select list of every concrete column of `model`, qualified by `alias`."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in _fields(model))


def width(model: type[Model]) -> int:
    """How many values `columns(model, ...)` selects."""
    return len(_fields(model))


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def instance(model: type[M], values: Sequence[Any]) -> M:
    """An instance of `model` from the values of `columns(model, ...)`, as loaded from the
    database (converters applied, e.g. JSON), so that saving it updates its row."""
    fields = _fields(model)
    converted = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def cache_related(obj: Model, name: str, related: Model | None) -> None:
    """Hold `related` as `obj.<name>` (a forward foreign key), as select_related would."""
    obj._meta.get_field(name).set_cached_value(obj, related)


def hold_prefetched(obj: Model, name: str, objects: list[Model]) -> None:
    """Hold `objects` as `obj.<name>.all()` (a reverse or many-to-many relation), as
    prefetch_related fills it: reading it costs no query."""
    held = getattr(obj, name).get_queryset()
    held._result_cache, held._prefetch_done = list(objects), True
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}
    obj._prefetched_objects_cache[name] = held
