"""The time-rule sweep on a real worker (Redis, PostgreSQL) whose pool process is SIGKILLed
mid-sweep: the batch in flight rolls back, the task is redelivered (acks_late +
reject_on_worker_lost) and the rerun finishes; every due row is applied exactly once.

"Mid-sweep" is made certain rather than raced (as in tests/slas/test_worker_killed.py): the
rows from 150 on move their ticket to a team whose row this test holds locked, so the sweep
commits its first batch (rows 0-99), then waits inside the second; that is when it is killed."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import psycopg
import pytest
import redis
from django.db import connection
from django.utils import timezone

from automations.models import TimeRule, TimeRuleDue
from config.celery import app
from customers.models import Customer
from tests.factories import TeamFactory
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

DUE = 400


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.django_db(transaction=True)
def test_time_rule_sweep_killed_mid_way_applies_every_row_exactly_once(tmp_path):
    assert connection.vendor == "postgresql"
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    redis.Redis.from_url(broker).flushdb()
    TimeRule.objects.update(active=False)  # only this test's rules
    escalation = TeamFactory(name="Escalation")
    tag = TimeRule.objects.create(
        name="tag", timer="solved", after=1, actions=[{"type": "add_tags", "value": ["swept"]}]
    )
    move = TimeRule.objects.create(
        name="move", timer="solved", after=1, actions=[{"type": "set_team", "value": escalation.pk}]
    )
    customer = Customer.objects.create(name="C")
    tickets = Ticket.objects.bulk_create(
        Ticket(subject=f"T{i}", requester=customer, status="solved") for i in range(DUE)
    )
    past = timezone.now() - timedelta(hours=1)
    TimeRuleDue.objects.bulk_create(
        TimeRuleDue(ticket=t, rule=tag if i < 150 else move, due_at=past + timedelta(seconds=i))
        for i, t in enumerate(tickets)
    )
    blocker = psycopg.connect(database_url())  # a transaction of its own, left open
    blocker.execute("SELECT 1 FROM tickets_team WHERE id = %s FOR UPDATE", [escalation.pk])
    env = service_env(
        CELERY_BROKER_URL=broker,
        AUTOMATION_SWEEP_BATCH_SIZE="100",  # the test's arithmetic: batches of 100
    )
    log = tmp_path / "worker.log"
    worker = celery_worker(env, "sweeper", log)
    fired = TicketEvent.objects.filter(kind="automation.fired")
    try:
        wait_until(lambda: pool_pids(worker), timeout=30)
        app.send_task("automations.sweep_time_rules")  # what beat sends
        wait_until(lambda: fired.count() >= 100, timeout=60)  # a batch committed
        time.sleep(1)  # the second batch is now waiting on the locked team
        kill_pool(worker)  # the pool process running the sweep
        at_kill = fired.count()
        assert at_kill == 100, "the first batch, and only it, committed before the kill"
        blocker.rollback()  # let the redelivered sweep through
        wait_until(lambda: fired.count() >= DUE, timeout=90)
        time.sleep(2)
    finally:
        blocker.close()
        stop(worker, timeout=20)
    output = log_of(log)
    print(f"killed after {at_kill} of {DUE} firings; the redelivered sweep finished")
    assert fired.count() == DUE, output
    assert fired.values("ticket_id").distinct().count() == DUE
    assert not TimeRuleDue.objects.filter(applied_at__isnull=True).exists()
    assert Ticket.objects.filter(team=escalation).count() == DUE - 150
