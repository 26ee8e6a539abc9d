"""The outbox against a real loopback HTTP receiver: a 500 is retried with the backoff
(doubling), a 410 is permanent; every attempt carries the same X-Helpdesk-Delivery id."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from core.retry import backoff
from outbox.models import State
from outbox.tasks import sweep
from webhooks.services import delivery_create

pytestmark = pytest.mark.django_db


def _queue(receiver):
    return delivery_create(url=receiver.url, secret="s", event="e", payload={"n": 1})


def test_500_is_retried_with_backoff_and_the_repeat_is_recognisable(receiver):
    receiver.statuses = [500, 500]
    row = _queue(receiver)
    sweep()
    row.refresh_from_db()
    first = row.next_attempt_at
    assert (row.state, row.attempts, row.last_status) == (State.QUEUED, 1, 500)
    with time_machine.travel(first + timedelta(seconds=1)):
        sweep()
    row.refresh_from_db()
    assert row.attempts == 2
    # The second wait is twice the first (core.retry.backoff).
    assert row.next_attempt_at - first >= backoff(2)
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        sweep()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_status) == (State.SENT, 3, 200)
    ids = [headers["X-Helpdesk-Delivery"] for headers, _ in receiver.requests]
    assert ids == [str(row.pk)] * 3


@pytest.mark.parametrize(("status", "state"), [(410, State.FAILED), (429, State.QUEUED)])
def test_4xx_is_permanent_except_408_and_429(receiver, status, state):
    receiver.statuses = [status]
    row = _queue(receiver)
    sweep()
    row.refresh_from_db()
    assert (row.state, row.last_status) == (state, status)
    with time_machine.travel(row.updated_at + timedelta(hours=2)):
        sweep()
    assert len(receiver.requests) == (1 if state == State.FAILED else 2)
