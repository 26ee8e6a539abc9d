"""A tag created by a concurrent transaction while a create is finding its tags: the create
waits for it (the unique index), then finds it, and links the ticket to that one row."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from tickets.models import Tag
from tickets.services.common import _tag_objects

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tag_committed_by_another_transaction_mid_statement_is_found():
    found: list = []
    started, done = threading.Event(), threading.Event()

    def create_tags() -> None:
        try:
            started.set()
            with transaction.atomic():
                found.extend(_tag_objects(["Race", "solo"]))
        except Exception as exc:
            found.append(exc)
        finally:
            connections.close_all()
            done.set()

    with transaction.atomic():
        Tag.objects.create(name="race")  # uncommitted: the other INSERT waits on its key
        worker = threading.Thread(target=create_tags)
        worker.start()
        started.wait(5)
        with connection.cursor() as cursor:  # until the other statement is blocked on us
            for _ in range(200):
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh view each time
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.02)
            else:
                pytest.fail(f"the other transaction never waited on the tag's key: {found}")
    assert done.wait(10)
    worker.join(5)
    assert [tag.name for tag in found] == ["race", "solo"]
    assert {t.pk for t in found} == set(
        Tag.objects.filter(name__in=["race", "solo"]).values_list("pk", flat=True)
    )
    assert Tag.objects.count() == 2
