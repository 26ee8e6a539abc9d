"""A real Celery worker SIGKILLed in the middle of a send loses nothing: the claimed row stays
`sending` until its lease runs out, the sweep (in a second worker) sends it again, and the
receiver can tell the repeat by its X-Helpdesk-Delivery id (delivery is at least once).

"In the middle" is made certain rather than raced: the receiver holds the first POST open
and the worker is killed while it waits for the answer."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.db import connection
from django.utils import timezone

from config.celery import app
from outbox.models import OutboxMessage, State
from outbox.webhook import envelope
from tests.faults.processes import celery_worker, kill, service_env, stop, wait_until

LEASE_SECONDS = 3


class HangingReceiver:
    """Holds the first POST open forever (the worker dies waiting); answers later ones 200."""

    def __init__(self) -> None:
        self.first_arrived = threading.Event()
        self.seen: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                delivery = self.headers["X-Helpdesk-Delivery"]
                receiver.seen[delivery] += 1
                if receiver.seen[delivery] == 1:
                    receiver.first_arrived.set()
                    time.sleep(60)
                    return
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_send_loses_nothing_and_the_repeat_is_recognisable(tmp_path):
    assert connection.vendor == "postgresql"
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    redis.Redis.from_url(broker).flushdb()
    receiver = HangingReceiver()
    row = OutboxMessage.objects.create(
        transport="webhook",
        purpose="webhook",
        recipient=receiver.url,
        payload=envelope(url=receiver.url, secret="s", event="ticket.created", body={"id": 1}),
        next_attempt_at=timezone.now(),
    )
    env = service_env(
        CELERY_BROKER_URL=broker,
        WEBHOOKS_ALLOW_PRIVATE="1",
        WEBHOOKS_REQUIRE_HTTPS="0",
        WEBHOOK_TIMEOUT_SECONDS="120",
        OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    first = celery_worker(env, "first", tmp_path / "first.log")
    second = None
    try:
        wait_until(lambda: app.control.ping(destination=["first@hd-test"], timeout=1), 60)
        app.send_task("outbox.send", args=[row.pk])  # what on_commit sends
        assert receiver.first_arrived.wait(30), "the worker started the POST"
        claimed = OutboxMessage.objects.get(pk=row.pk)
        assert (claimed.state, claimed.attempts) == (State.SENDING, 1)
        kill(first)  # SIGKILL, mid-send: no cleanup, no acknowledgement of the answer
        assert OutboxMessage.objects.get(pk=row.pk).state == State.SENDING  # nothing lost

        second = celery_worker(env, "second", tmp_path / "second.log")
        wait_until(lambda: app.control.ping(destination=["second@hd-test"], timeout=1), 60)
        time.sleep(LEASE_SECONDS + 1)  # the dead worker's lease runs out
        app.send_task("outbox.sweep")  # what beat sends every OUTBOX_SWEEP_SECONDS
        wait_until(lambda: OutboxMessage.objects.get(pk=row.pk).state == State.SENT, 60)
    finally:
        receiver.close()
        for worker in (first, second):
            if worker is not None:
                stop(worker, timeout=20)
    done = OutboxMessage.objects.get(pk=row.pk)
    assert (done.state, done.attempts, done.error) == (State.SENT, 2, "")
    # At least once: the receiver saw this delivery twice, under one id it can dedupe on.
    assert receiver.seen == Counter({str(row.pk): 2})
    assert OutboxMessage.objects.count() == 1
