"""A sweep whose worker process is SIGKILLed mid-way loses nothing and doubles nothing: the
batch in flight rolls back, the task is redelivered (acks_late + reject_on_worker_lost) and
the rerun finishes, each clock breached exactly once.

"Mid-way" is made certain rather than raced: the test holds a row lock on a clock of the
second batch, so the sweep commits its first batch and then waits on that row; that is when
the worker is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from customers.models import Customer
from slas.models import SlaClock
from tests.factories import PolicyFactory
from tests.slas.test_real_worker import ROOT, _database_url, _wait_for
from tickets.models import Ticket, TicketEvent

DUE = 600


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.django_db(transaction=True)
def test_sweep_killed_mid_way_is_redelivered_and_finishes_exactly_once():
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
    blocker = psycopg.connect(_database_url())  # a transaction of its own, left open
    blocker.execute("SELECT 1 FROM slas_slaclock WHERE id = %s FOR UPDATE", [clocks[150].pk])
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1",
         "-Q", ",".join(settings.TASK_QUEUES), "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    breaches = TicketEvent.objects.filter(kind="sla.breached")
    try:
        assert _wait_for(
            lambda: subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True).stdout,
            timeout=30,
        )
        app.send_task("slas.sweep")  # what beat sends
        assert _wait_for(lambda: breaches.count() >= 100, timeout=60)  # a batch committed
        time.sleep(1)  # the second batch is now waiting on the blocked clock
        children = subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True
        ).stdout.split()
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)  # the pool process running the sweep
        at_kill = breaches.count()
        assert at_kill == 100, "the first batch, and only it, committed before the kill"
        blocker.rollback()  # let the redelivered sweep through
        assert _wait_for(lambda: breaches.count() >= DUE, timeout=60)
        time.sleep(2)
    finally:
        blocker.close()
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode()
    print(f"killed after {at_kill} of {DUE} breaches; the redelivered sweep finished")
    assert breaches.count() == DUE, output
    assert breaches.values("ticket_id").distinct().count() == DUE
    assert not SlaClock.objects.filter(breached_at__isnull=True).exists()
