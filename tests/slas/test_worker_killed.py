"""A sweep whose worker process is SIGKILLed mid-way loses nothing and doubles nothing: the
batch in flight rolls back, the task is redelivered (acks_late + reject_on_worker_lost) and
the rerun finishes, each clock breached exactly once.

"Mid-way" is made certain rather than raced: the test holds a row lock on a clock of the
second batch, so the sweep commits its first batch and then waits on that row; that is when
the worker is killed."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import psycopg
import pytest
import redis
from django.db import connection
from django.utils import timezone

from config.celery import app
from customers.models import Customer
from slas.models import SlaClock
from tests.factories import PolicyFactory
from tests.faults.processes import (
    celery_worker,
    database_url,
    kill_pool,
    log_of,
    pool_pids,
    service_env,
    stop,
    wait_until,
)
from tickets.models import Ticket, TicketEvent

DUE = 600


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.django_db(transaction=True)
def test_sweep_killed_mid_way_is_redelivered_and_finishes_exactly_once(tmp_path):
    assert connection.vendor == "postgresql"
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    redis.Redis.from_url(broker).flushdb()
    policy = PolicyFactory()
    customers = Customer.objects.bulk_create(Customer(name=f"C{i}") for i in range(DUE))
    past = timezone.now() - timedelta(hours=1)
    tickets = Ticket.objects.bulk_create(
        Ticket(subject=f"T{i}", requester=customers[i], status="open") for i in range(DUE)
    )
    clocks = SlaClock.objects.bulk_create(
        SlaClock(
            ticket=ticket,
            metric="resolution",
            policy=policy,
            target_minutes=5,
            business_hours=False,
            started_at=past,
            segment_started_at=past,
            due_at=past + timedelta(seconds=i),  # a strict order: batch 2 is clocks 100-199
            warn_at=past,
            warned_at=past,
        )
        for i, ticket in enumerate(tickets)
    )
    blocker = psycopg.connect(database_url())  # a transaction of its own, left open
    blocker.execute("SELECT 1 FROM slas_slaclock WHERE id = %s FOR UPDATE", [clocks[150].pk])
    env = service_env(CELERY_BROKER_URL=broker)
    log = tmp_path / "worker.log"
    worker = celery_worker(env, "sweeper", log)
    breaches = TicketEvent.objects.filter(kind="sla.breached")
    try:
        wait_until(lambda: pool_pids(worker), timeout=30)
        app.send_task("slas.sweep")  # what beat sends
        wait_until(lambda: breaches.count() >= 100, timeout=60)  # a batch committed
        time.sleep(1)  # the second batch is now waiting on the blocked clock
        kill_pool(worker)  # the pool process running the sweep
        at_kill = breaches.count()
        assert at_kill == 100, "the first batch, and only it, committed before the kill"
        blocker.rollback()  # let the redelivered sweep through
        wait_until(lambda: breaches.count() >= DUE, timeout=60)
        time.sleep(2)
    finally:
        blocker.close()
        stop(worker, timeout=20)
    output = log_of(log)
    print(f"killed after {at_kill} of {DUE} breaches; the redelivered sweep finished")
    assert breaches.count() == DUE, output
    assert breaches.values("ticket_id").distinct().count() == DUE
    assert not SlaClock.objects.filter(breached_at__isnull=True).exists()
