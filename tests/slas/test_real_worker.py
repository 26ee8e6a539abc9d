"""A real Celery worker with embedded beat, on Redis and this test's PostgreSQL database,
warns about and breaches a ticket with a 1-minute calendar-time target, once each, within
seconds of the warn and due times."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from slas.models import Metric, SlaClock
from tests.factories import CalendarFactory, CustomerFactory, PolicyFactory, TierFactory
from tickets import services as ticket_services
from tickets.models import Priority, TicketEvent

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_and_beat_warn_and_breach_a_one_minute_target_once():
    assert connection.vendor == "postgresql"
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    redis.Redis.from_url(broker).flushdb()  # no stale messages from earlier runs
    policy = PolicyFactory(
        calendar=CalendarFactory(),
        warn_at_percent=50,
        calendar_targets={(Metric.RESOLUTION, Priority.NORMAL): 1},
    )
    customer = CustomerFactory(organization=None, tier=TierFactory(name="Fast", policy=policy))
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),  # the test database, where this test writes
        "CELERY_BROKER_URL": broker,
        "SLA_SWEEP_SECONDS": "1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",  # embedded beat, with the production scheduler (django_celery_beat)
            "--pool=solo",
            "-Q",
            ",".join(settings.TASK_QUEUES),  # every queue: this one worker does it all
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        ticket = ticket_services.ticket_create(requester=customer, subject="Fast", body="x")
        clock = SlaClock.objects.get(ticket=ticket)

        def refreshed():
            clock.refresh_from_db()
            return clock

        assert _wait_for(lambda: refreshed().warned_at is not None, timeout=60)
        assert _wait_for(lambda: refreshed().breached_at is not None, timeout=60)
        time.sleep(3)  # a few more sweeps: nothing may be applied again
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode()
    clock.refresh_from_db()
    warn_lag = (clock.warned_at - clock.warn_at).total_seconds()
    breach_lag = (clock.breached_at - clock.due_at).total_seconds()
    print(f"warned {warn_lag:.2f} s after warn_at, breached {breach_lag:.2f} s after due_at")
    assert 0 <= warn_lag < 5, output
    assert 0 <= breach_lag < 5, output
    kinds = list(
        TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla.").values_list(
            "kind", flat=True
        )
    )
    assert sorted(kinds) == ["sla.breached", "sla.warning"]
