"""Sending Celery tasks after commit, as a speed-up whose failure does no harm.

The tasks we send after a commit are backed by rows that a sweep picks up when the message
never arrives (outbox rows, inbound payloads); an SLA notification
email is best effort, its step is recorded on the clock and in the audit trail. So a broker
that is down when a request commits must not turn the committed work into an error: the
client would get a 500 for a ticket that exists and, retrying without an Idempotency-Key,
create it twice (found by tests/faults/test_worker_kill.py). The failure is logged instead.

Services name the task they queue (`enqueue_on_commit("outbox.send", row.pk)`):
every task is registered when Django starts (ProjectConfig.ready), so a service never imports
its app's tasks module, and the one direction is tasks -> services. A name no task has fails
loudly (celery.exceptions.NotRegistered), and tests/config/test_tasks.py checks every name
queued this way.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task | str, *args: Any) -> None:
    """`task.delay(*args)` once the current transaction commits; a broker that cannot take
    the message is logged, not raised (errors of the task itself, run eagerly, still are)."""
    transaction.on_commit(lambda: send(task, *args))


def send(task: Task | str, *args: Any) -> None:
    """`task.delay(*args)` now, logging instead of raising when the broker cannot take it."""
    if isinstance(task, str):
        task = current_app.tasks[task]
    try:
        task.delay(*args)
    except BrokerError as exc:
        logger.warning("could not queue %s%r (%s); a sweep picks it up", task.name, args, exc)
