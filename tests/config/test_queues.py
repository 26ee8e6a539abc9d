"""Two real Celery workers, laid out as docker-compose.yml lays them out (the sweeps queue on
one, intake/outbound/default on the other), on Redis and this test's PostgreSQL database: while
the I/O worker is stuck in a slow webhook POST, the SLA sweep still breaches a due clock at
once, because it waits in a queue of its own."""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
import yaml
from django.db import connection
from django.utils import timezone

from config.celery import app
from customers.models import Customer
from outbox.models import OutboxMessage, State
from outbox.webhook import envelope
from slas.models import SlaClock
from tests.factories import PolicyFactory
from tests.faults.processes import ROOT, service_env, spawn, stop, wait_until
from tickets.models import Ticket, TicketEvent

SLOW_POST_SECONDS = 8
CELERY_WORKER = [sys.executable, "-m", "celery", "-A", "config", "worker"]


class SlowReceiver:
    """An integration that takes its time: each POST is answered only once released (or after
    SLOW_POST_SECONDS)."""

    def __init__(self) -> None:
        self.started, self.release, self.answered = (threading.Event() for _ in range(3))
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.started.set()
                receiver.release.wait(SLOW_POST_SECONDS)
                self.send_response(204)
                self.end_headers()
                receiver.answered.set()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _compose_queues() -> dict[str, str]:
    """worker service -> its -Q argument, as deployed."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {
        name: s["command"][s["command"].index("-Q") + 1]
        for name, s in services.items()
        if s.get("command", [])[:4] == ["celery", "-A", "config", "worker"]
    }


def _due_clock() -> SlaClock:
    policy = PolicyFactory()
    ticket = Ticket.objects.create(
        subject="Printer on fire", requester=Customer.objects.create(name="Ada"), status="open"
    )
    past = timezone.now() - timedelta(minutes=10)
    return SlaClock.objects.create(
        ticket=ticket,
        metric="resolution",
        policy=policy,
        target_minutes=5,
        business_hours=False,
        started_at=past,
        segment_started_at=past,
        due_at=past + timedelta(minutes=5),
        warn_at=past,
        warned_at=past,
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.django_db(transaction=True)
def test_sla_sweep_breaches_at_once_while_the_io_worker_is_stuck_in_a_slow_webhook(tmp_path):
    assert connection.vendor == "postgresql"
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    redis.Redis.from_url(broker).flushdb()  # no stale messages from earlier runs
    queues = _compose_queues()
    assert set(queues) == {"worker-sweeps", "worker-io"}
    receiver = SlowReceiver()
    clock = _due_clock()
    delivery = OutboxMessage.objects.create(
        transport="webhook",
        purpose="webhook",
        recipient=receiver.url,
        payload=envelope(
            url=receiver.url,
            secret="s3cret",
            event="ticket.created",
            body={"ticket": {"id": clock.ticket_id}},
        ),
        next_attempt_at=timezone.now(),
    )
    env = service_env(
        CELERY_BROKER_URL=broker,
        WEBHOOKS_ALLOW_PRIVATE="1",
        WEBHOOKS_REQUIRE_HTTPS="0",
        WEBHOOK_TIMEOUT_SECONDS="30",
    )
    nodes = {"worker-sweeps": "sweeps@queues-test", "worker-io": "io@queues-test"}
    flags = ["--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    workers = [
        spawn(
            [*CELERY_WORKER, "-Q", queues[name], "-n", node, *flags],
            env,
            tmp_path / f"{name}.log",
        )
        for name, node in nodes.items()
    ]
    try:
        wait_until(
            lambda: len(app.control.ping(destination=list(nodes.values()), timeout=1)) == 2,
            timeout=60,
        )
        app.send_task("outbox.send", args=[delivery.pk])  # what on_commit sends
        assert receiver.started.wait(30), "the I/O worker took the delivery"
        sent_at = time.monotonic()
        app.send_task("slas.sweep")  # what beat sends every SLA_SWEEP_SECONDS
        breaches = TicketEvent.objects.filter(ticket=clock.ticket, kind="sla.breached")
        wait_until(breaches.exists, timeout=15, interval=0.05)
        swept_after = time.monotonic() - sent_at
        still_posting = not receiver.answered.is_set()
        receiver.release.set()
        wait_until(
            lambda: OutboxMessage.objects.get(pk=delivery.pk).state == State.SENT,
            timeout=30,
        )
    finally:
        receiver.stop()
        for worker in workers:
            stop(worker, timeout=20)
    logs = "\n".join((tmp_path / f"{name}.log").read_text() for name in nodes)
    print(
        f"SLA sweep breached {swept_after:.2f} s after it was sent; POST in flight: {still_posting}"
    )
    assert still_posting, "the slow POST was still running when the sweep breached the clock"
    assert swept_after < 2, logs
    clock.refresh_from_db()
    assert clock.breached_at is not None
    assert breaches.count() == 1
