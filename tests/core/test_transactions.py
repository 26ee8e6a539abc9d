"""core.transactions: a service nested in a transaction opens a savepoint (its caller may
catch its error and go on), unless the caller runs it inside `savepoints_joined()`: then no
SAVEPOINT round trips, and its error dooms the caller's whole transaction."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from core.transactions import savepoints_joined, service_atomic
from tickets.models import Tag

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


@service_atomic
def _tag_then_refuse(name: str) -> None:
    Tag.objects.create(name=name)
    raise Refused(name)


@service_atomic
def _tag(name: str) -> Tag:
    return Tag.objects.create(name=name)


def test_a_nested_service_rolls_back_alone_and_its_caller_goes_on():
    with transaction.atomic():
        Tag.objects.create(name="before")
        with pytest.raises(Refused):
            _tag_then_refuse("refused")
        Tag.objects.create(name="after")
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["after", "before"]


def test_a_joined_service_sends_no_savepoint():
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, savepoints_joined():
        _tag("joined")
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if "SAVEPOINT" in s], sql
    assert len(sql) == 1  # the INSERT alone
    assert Tag.objects.filter(name="joined").exists()


def _caller_going_on_after_a_joined_error() -> Exception:
    """Tag, call the refusing service joined, catch its error and try to write again."""
    with transaction.atomic():
        Tag.objects.create(name="before")
        with savepoints_joined(), contextlib.suppress(Refused):
            _tag_then_refuse("refused")
        try:
            Tag.objects.create(name="after")
        except TransactionManagementError as exc:
            return exc  # leaving the block rolls the whole transaction back
    raise AssertionError("the caller went on after a joined service's error")


def test_a_joined_service_error_dooms_the_callers_transaction():
    error = _caller_going_on_after_a_joined_error()
    assert "until the end of the 'atomic' block" in str(error)
    assert not Tag.objects.exists()
