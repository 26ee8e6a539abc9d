"""Services that join their caller's transaction instead of nesting a savepoint in it.

A service is atomic on its own (`@service_atomic`, like `transaction.atomic`). Called inside
another transaction it opens a savepoint, so that a caller may catch its error and go on: two
round trips (SAVEPOINT, RELEASE) on every call. A caller that never goes on after such an
error runs inside `savepoints_joined()`: there the services join its transaction without a
savepoint, and an error they raise dooms the whole transaction (it can only roll back).

The intake worker is such a caller: any error fails the row, recorded in a fresh transaction,
and the row is processed again from its raw payload (tickets.channels.processing). Explicit
`transaction.atomic()` blocks inside a service (a lost race retried, a refusal caught) keep
their savepoints: only the services' own outer ones are joined.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import transaction

_P = ParamSpec("_P")
_R = TypeVar("_R")

_JOINED: ContextVar[bool] = ContextVar("savepoints_joined", default=False)


def service_atomic(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """`transaction.atomic` for a service: a transaction (or a savepoint when nested), or,
    inside `savepoints_joined()`, the caller's transaction as it is."""

    @functools.wraps(func)
    def inner(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with transaction.atomic(savepoint=not _JOINED.get()):
            return func(*args, **kwargs)

    return inner


@contextmanager
def savepoints_joined() -> Iterator[None]:
    """Inside the block, `@service_atomic` services open no savepoint of their own. For a
    caller whose transaction fails as a whole whenever such a service raises."""
    token = _JOINED.set(True)
    try:
        yield
    finally:
        _JOINED.reset(token)
