"""Model instances from hand-written SQL, for the few statements on every request's path.

The ORM compiles a query anew on each call (resolving lookups, joins and the select list),
which costs more CPU than PostgreSQL spends answering a unique-index lookup. Where one
statement runs on every ticket create or inbound message, its SQL is written once per
process with `columns` and its rows turned into instances with `instance`: the same
objects the ORM would give (saved state, related objects cached), minus the compiling;
`insert`, `update` and `first` do the same for bulk_create, a pk-filtered update() and
filter().first(). Only our models' table and column names (and, in `first`, the caller's
constant condition) are formatted into SQL (hence the S608 waivers); values are parameters.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
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


@cache
def _converters(model: type[Model], vendor: str) -> tuple:
    """Per field, what the ORM's compiler applies to a value read: the backend's converters
    (SQLite's text datetimes and booleans; none on PostgreSQL, whose driver gives Python
    types) then the field's own (`from_db_value`, e.g. JSON)."""
    return tuple(
        (
            field.cached_col,
            [
                *connection.ops.get_db_converters(field.cached_col),
                *field.get_db_converters(connection),
            ],
        )
        for field in _fields(model)
    )


def instance(model: type[M], values: Sequence[Any]) -> M:
    """An instance of `model` from the values of `columns(model, ...)`, as loaded from the
    database (converters applied, e.g. JSON), so that saving it updates its row."""
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per use
    converted = []
    for (col, converters), value in zip(_converters(model, conn.vendor), values, strict=True):
        for converter in converters:
            value = converter(value, col, conn)
        converted.append(value)
    return model.from_db(conn.alias, [f.attname for f in _fields(model)], converted)


def for_update() -> str:
    """ " FOR UPDATE" where the database has it (SQLite has no row locks: its writers take
    the whole database, one at a time), else nothing."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def split(values: Sequence[Any], *models: type[Model]) -> list[Model | None]:
    """Instances of `models` from one row holding each one's `columns(...)` side by side, in
    that order; None for a model whose primary key is NULL (a LEFT JOIN that found none)."""
    out, start = [], 0
    for model in models:
        part = values[start : start + width(model)]
        start += width(model)
        pk_at = _fields(model).index(model._meta.pk)
        out.append(instance(model, part) if part[pk_at] is not None else None)
    return out


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


@cache
def _insert_sql(model: type[Model], count: int, skip_conflicts: bool) -> str:
    quote = connection.ops.quote_name
    fields = _insert_fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    skip = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    return (
        f"INSERT INTO {table(model)} ({', '.join(quote(f.column) for f in fields)})"  # noqa: S608
        f" VALUES {', '.join([row] * count)}{skip} RETURNING {quote(model._meta.pk.column)}"
    )


@cache
def _insert_fields(model: type[Model]) -> tuple:
    return tuple(f for f in _fields(model) if f is not model._meta.pk)


# Field classes (exactly these, not subclasses, which may convert otherwise) whose
# get_db_prep_save passes a value of this Python type, or None, through unchanged but for the
# backend's integer adapter: Django only checks it on the way (to_python, int()). A create
# writes ~70 values; their five-call conversion chain each cost it ~125 us (timeit).
_PLAIN_TYPES: dict[type, type] = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
}
_INTEGER_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


class _AwareDatetime:
    """Marker type: an aware `datetime` goes as it is on PostgreSQL (whose backend adapts
    none; SQLite's writes text, and a naive one gets Django's warning)."""


def _plain(field) -> tuple[type | None, Any]:
    """(the Python type `field` writes unconverted, the backend's adapter for it or None);
    (None, None) where only the field's own get_db_prep_save will do."""
    kind = type(field)
    if kind is models.ForeignKey and type(field.target_field) in _INTEGER_KEYS:
        return int, None  # an auto key's value is validated, not adapted
    if kind is models.DateTimeField and connection.vendor == "postgresql":
        return _AwareDatetime, None
    plain = _PLAIN_TYPES.get(kind)
    if plain is int:
        internal, adapt = field.get_internal_type(), connection.ops.adapt_integerfield_value
        return int, lambda value: adapt(value, internal)
    return plain, None


@cache
def _insert_plan(model: type[Model], vendor: str) -> tuple:
    return tuple((f, f.attname, *_plain(f)) for f in _insert_fields(model))


def _db_value(field, value: Any, plain: type | None, adapt: Any, conn) -> Any:
    """`field.get_db_prep_save(value, conn)`, without its calls where `plain` (from `_plain`)
    says the value goes unconverted (tests/core/test_rows.py holds them equal)."""
    if plain is not None:
        if value is None:
            return None
        kind = type(value)
        if kind is plain:
            return value if adapt is None else adapt(value)
        if plain is _AwareDatetime and kind is datetime and value.tzinfo is not None:
            return value
    return field.get_db_prep_save(value, conn)


def insert(
    objs: Sequence[Model], *, preset: Collection[str] = (), skip_conflicts: bool = False
) -> int:
    """bulk_create(objs) for new rows of one model whose ids the database assigns, in one
    plain multi-row INSERT: no signals (as bulk_create), `auto_now(_add)` and defaults
    applied, each object's pk set from RETURNING and its state that of a saved row. Returns
    how many rows were written.

    `preset`: names of `auto_now(_add)` fields whose value the caller set and others already
    read (a ticket's `created_at`, which its SLA clocks start from): written as they are.
    `skip_conflicts`: ON CONFLICT DO NOTHING (bulk_create's ignore_conflicts): a row a unique
    constraint already holds is not written, and no savepoint is needed; a single object
    gets its pk only if it was written (several keep none: which were is not said)."""
    if not objs:
        return 0
    model = type(objs[0])
    conn = connections[DEFAULT_DB_ALIAS]  # not the proxy: Django's conversions ask it often
    params = [value for obj in objs for value in _row_params(obj, preset, conn)]
    with conn.cursor() as cursor:
        cursor.execute(_insert_sql(model, len(objs), skip_conflicts), params)
        ids = [row[0] for row in cursor.fetchall()]
    if skip_conflicts and len(ids) != len(objs):
        return len(ids)  # some were not written: which ones the ids do not tell
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, conn.alias
    return len(ids)


@dataclass(frozen=True)
class IdInJson:
    """For insert_with: `child`'s JSON field `field` holds, under `key`, the id of `source`, a
    child written before it in the same statement (so known only there)."""

    child: Model
    field: str
    key: str
    source: Model


def insert_with(
    parent: Model,
    children: Sequence[Model],
    *,
    preset: Collection[str] = (),
    ids_in_json: Sequence[IdInJson] = (),
) -> None:
    """insert([parent]), then insert([child]) for each child, whose foreign key to the
    parent's model is its one forward relation to it (a message's `ticket`): on PostgreSQL
    in one statement, the children's INSERTs in the parent's WITH, each child's key a
    scalar subquery of the parent's RETURNING; one statement each elsewhere (SQLite has no
    INSERT in WITH). Each object ends as insert leaves it: its pk set, its state saved, and
    each child's key (and cached relation) the parent. `preset` as insert's, for the parent.

    So a ticket, its first message and its thread cost one round trip, not three. The
    children's row triggers fire, with the parent's, at the end of the statement, and read
    every row it wrote (the search document of the ticket sees its message).

    `ids_in_json`: children's JSON values that hold an earlier child's id (a ticket's
    "created" event names its first message), set in the statement and on the objects."""
    keys = [_key_to(type(child), type(parent)) for child in children]
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        _insert_one_by_one(parent, children, keys, preset, ids_in_json)
        return
    # (child index, field, key, source index) of each late id, for the statement's shape
    index = {id(child): n for n, child in enumerate(children)}
    late = tuple((index[id(i.child)], i.field, i.key, index[id(i.source)]) for i in ids_in_json)
    params = _row_params(parent, preset, conn)
    for n, (child, key) in enumerate(zip(children, keys, strict=True)):
        params += _child_params(child, key, [(f, k) for c, f, k, _ in late if c == n], conn)
    sql = _insert_with_sql(type(parent), tuple(type(child) for child in children), late)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchone()
    for obj, pk in zip([parent, *children], ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, conn.alias
    for child, key in zip(children, keys, strict=True):
        _keyed(child, key, parent)
    for i in ids_in_json:
        getattr(i.child, i.field)[i.key] = i.source.pk


def _insert_one_by_one(parent, children, keys, preset, ids_in_json) -> None:
    """insert_with where INSERT cannot go in WITH (SQLite): a statement per row."""
    insert([parent], preset=preset)
    for child, key in zip(children, keys, strict=True):
        _keyed(child, key, parent)
        for late in ids_in_json:
            if late.child is child:
                getattr(child, late.field)[late.key] = late.source.pk
        insert([child])


def _child_params(child: Model, key, late: list[tuple[str, str]], conn) -> list[Any]:
    """A child's values but its key to the parent; each late id's JSON key right after its
    field's value (the statement adds the id under it)."""
    values = _row_params(child, (), conn, without=key)
    if late:
        fields = [f.name for f in _insert_fields(type(child)) if f is not key]
        for field, json_key in late:
            at = fields.index(field)
            values[at : at + 1] = [values[at], json_key]
            fields[at : at + 1] = [field, ""]
    return values


def _keyed(child: Model, key, parent: Model) -> None:
    """The child's key set to the saved parent, and the parent cached as its relation (in
    this order: setting the key's column clears a cached relation)."""
    setattr(child, key.attname, parent.pk)
    key.set_cached_value(child, parent)


@cache
def _key_to(model: type[Model], parent: type[Model]):
    """`model`'s one foreign key to `parent`."""
    (key,) = (f for f in _insert_fields(model) if f.many_to_one and f.related_model is parent)
    return key


def _row_params(obj: Model, preset: Collection[str], conn, *, without=None) -> list[Any]:
    plan = _insert_plan(type(obj), conn.vendor)
    return [
        _db_value(
            field,
            getattr(obj, attname) if field.name in preset else field.pre_save(obj, True),
            plain,
            adapt,
            conn,
        )
        for field, attname, plain, adapt in plan
        if field is not without
    ]


@cache
def _insert_with_sql(
    parent: type[Model], children: tuple[type[Model], ...], late: tuple = ()
) -> str:
    quote = connection.ops.quote_name

    def statement(model: type[Model], key=None, index=None) -> str:
        fields = _insert_fields(model)
        # a JSON value with an earlier child's id added under a key (a parameter)
        added = {field: f"c{source}" for child, field, _key, source in late if child == index}

        def value(f) -> str:
            if f is key:
                return "(SELECT id FROM p)"
            if f.name in added:  # only a CTE's name is formatted in
                source = f"(SELECT id FROM {added[f.name]})"  # noqa: S608
                return f"(%s::jsonb || jsonb_build_object(%s::text, {source}))"
            return "%s"

        values = ", ".join(value(f) for f in fields)
        return (
            f"INSERT INTO {table(model)} ({', '.join(quote(f.column) for f in fields)})"  # noqa: S608
            f" VALUES ({values}) RETURNING {quote(model._meta.pk.column)} AS id"
        )

    parts = [f"p AS ({statement(parent)})"]
    parts += [
        f"c{index} AS ({statement(child, _key_to(child, parent), index)})"
        for index, child in enumerate(children)
    ]
    names = ["p", *(f"c{index}" for index in range(len(children)))]
    ids = ", ".join(f"(SELECT id FROM {name})" for name in names)  # noqa: S608 - names
    return f"WITH {', '.join(parts)} SELECT {ids}"


def first(
    model: type[M], where: str, params: Sequence[Any] = (), *, lock: bool = False
) -> M | None:
    """The first row of `model` (by primary key) matching the constant SQL condition `where`
    (on alias `m`; values go in `params`), or None: `filter(...).first()` without compiling;
    `lock`: FOR UPDATE, as select_for_update()."""
    sql = f"SELECT {columns(model, 'm')} FROM {table(model)} m WHERE {where}"  # noqa: S608
    sql += f" ORDER BY m.{connection.ops.quote_name(model._meta.pk.column)} LIMIT 1"
    if lock:
        sql += for_update()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return instance(model, row) if row is not None else None


def update(obj: Model, **values: Any) -> None:
    """Set `values` on `obj` and on its row in one UPDATE:
    `Model.objects.filter(pk=obj.pk).update(**values)` without compiling. Fields by name
    with plain values (a foreign key by its attname: `ticket_id=...`); no signals, no
    `auto_now` (name it if it should change), as QuerySet.update."""
    conn = connections[DEFAULT_DB_ALIAS]
    meta, quote = obj._meta, conn.ops.quote_name
    fields = [(meta.get_field(name), value) for name, value in values.items()]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f, _ in fields)
    params = [f.get_db_prep_save(value, conn) for f, value in fields]
    where = f"{quote(meta.pk.column)} = %s"
    sql = f"UPDATE {table(type(obj))} SET {assignments} WHERE {where}"  # noqa: S608
    with conn.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
    for field, value in fields:
        setattr(obj, field.attname, value)
