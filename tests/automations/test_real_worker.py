"""Two sweeps at once on a real worker (two pool processes, Redis, PostgreSQL): each due time
rule is applied exactly once, the sweeps split the rows (SKIP LOCKED) instead of doubling."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from automations.models import TimeRule, TimeRuleDue
from config.celery import app
from customers.models import Customer
from tests.slas.test_real_worker import ROOT, _database_url, _wait_for
from tickets.models import Ticket, TicketEvent

DUE = 400


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_on_a_real_worker_apply_each_row_exactly_once():
    assert connection.vendor == "postgresql"
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    redis.Redis.from_url(broker).flushdb()
    TimeRule.objects.update(active=False)
    rule = TimeRule.objects.create(
        name="tag", timer="solved", after=1, actions=[{"type": "add_tags", "value": ["swept"]}]
    )
    customer = Customer.objects.create(name="C")
    tickets = Ticket.objects.bulk_create(
        Ticket(subject=f"T{i}", requester=customer, status="solved") for i in range(DUE)
    )
    past = timezone.now() - timedelta(hours=1)
    TimeRuleDue.objects.bulk_create(
        TimeRuleDue(ticket=t, rule=rule, due_at=past + timedelta(seconds=i))
        for i, t in enumerate(tickets)
    )
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=2",
         "-Q", ",".join(settings.TASK_QUEUES), "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    fired = TicketEvent.objects.filter(kind="automation.fired")
    try:
        assert _wait_for(
            lambda: (
                len(
                    subprocess.run(
                        ["pgrep", "-P", str(worker.pid)], capture_output=True
                    ).stdout.split()
                )
                >= 2
            ),
            timeout=30,
        )
        app.send_task("automations.sweep_time_rules")
        app.send_task("automations.sweep_time_rules")  # a second beat tick, or a second beat
        assert _wait_for(lambda: fired.count() >= DUE, timeout=120)
        time.sleep(2)  # anything doubled would land now
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode()
    assert fired.count() == DUE, output
    assert fired.values("ticket_id").distinct().count() == DUE
    assert not TimeRuleDue.objects.filter(applied_at__isnull=True).exists()
