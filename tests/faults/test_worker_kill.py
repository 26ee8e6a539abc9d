"""Ticket creates through the API while the Celery worker is SIGKILLed and restarted every few
seconds and the broker (a Redis of the test's own, without persistence) is restarted once.

Afterwards: every accepted ticket exists exactly once; every SLA warning and breach that came
due was applied exactly once (one sla.* audit event per clock and step); every follow-up that
came due was sent exactly once with its one outreach ticket; every ticket.created webhook was
delivered at least once (duplicates at the receiver are allowed), one delivery row per ticket.

Real processes: gunicorn (2 workers), a Celery worker (-c 2) and Celery beat driving the sweeps
every second; a local HTTP receiver thread that answers 500 to some first attempts.
FAULT_TICKETS sets the number of creates (default 2,000).
"""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.db.models import Count, Q
from django.utils import timezone

from accounts.services import api_token_create
from outbox.models import OutboxMessage
from outbox.models import State as DeliveryState
from slas.models import SlaClock
from success.models import FollowUp, FollowUpState
from tests.factories import FollowUpRuleFactory, IntegrationFactory, PolicyFactory, TeamFactory
from tickets.models import Priority, Ticket, TicketEvent, TicketKind
from webhooks.services import DELIVERY_HEADER
from webhooks.subscriptions import subscription_create

from .processes import RedisServer, gunicorn, kill, service_env, spawn, stop, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TICKETS = int(os.environ.get("FAULT_TICKETS", "2000"))
CUSTOMERS = max(TICKETS // 10, 1)  # each new customer gets one onboarding follow-up
# Every queue (settings.TASK_QUEUES): this one worker stands in for all of them.
WORKER_FLAGS = ("--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
                "-Q", "sweeps,intake,outbound,default")  # fmt: skip


class Receiver:
    """The integration's endpoint: records every delivery id it is sent and answers 500 to the
    first attempt of every seventh delivery (so the retry path runs too)."""

    def __init__(self) -> None:
        self.seen: Counter[int] = Counter()
        self.refused = 0
        lock, receiver = threading.Lock(), self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                delivery = int(self.headers[DELIVERY_HEADER])
                with lock:
                    receiver.seen[delivery] += 1
                    refuse = delivery % 7 == 0 and receiver.seen[delivery] == 1
                    receiver.refused += refuse
                self.send_response(500 if refuse else 204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Worker:
    """The Celery worker as a process group we can SIGKILL (main process and pool at once)."""

    def __init__(self, env: dict[str, str], log) -> None:
        self.env, self.log = env, log
        self.process = None
        self.kills = 0

    def start(self) -> None:
        self._ready_before = self._readies()
        self.process = spawn(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "2", *WORKER_FLAGS],
            self.env,
            self.log,
        )

    def _readies(self) -> int:
        return self.log.read_text().count(" ready.") if self.log.exists() else 0

    def wait_ready(self) -> None:
        """Until this incarnation has booted (on a busy 2-core machine that takes seconds):
        a worker killed before it took any task would test nothing."""
        wait_until(lambda: self._readies() > self._ready_before, timeout=60, interval=0.1)

    def kill(self) -> None:
        kill(self.process)
        self.kills += 1

    def stop(self) -> None:
        """Warm shutdown (SIGTERM to the main process only), then the group if it hangs."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill(self.process)


class Chaos(threading.Thread):
    """SIGKILL the worker 2-4 s after it is up and restart it; restart the broker once, when
    `redis_at` is set (the load is under way)."""

    def __init__(self, worker: Worker, redis: RedisServer) -> None:
        super().__init__(daemon=True)
        self.worker, self.redis = worker, redis
        self.halt, self.redis_at = threading.Event(), threading.Event()
        self.redis_restarts = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.worker.wait_ready()
            while not self.halt.wait(random.uniform(2, 4)):
                self.worker.kill()
                if self.redis_at.is_set() and not self.redis_restarts:
                    self.redis.restart(down_for=2)
                    self.redis_restarts += 1
                self.worker.start()
                self.worker.wait_ready()
        except BaseException as exc:  # reported by the test
            self.error = exc


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def redis():
    redis = RedisServer().start()
    yield redis
    redis.stop()


@pytest.fixture
def env(redis, tmp_path):
    return service_env(
        CELERY_BROKER_URL=f"{redis.url}/0",
        REDIS_URL=f"{redis.url}/1",
        SLA_SWEEP_SECONDS="1",
        FOLLOWUP_SWEEP_SECONDS="1",
        OUTBOX_SWEEP_SECONDS="2",
        # A row a killed worker held in `sending` is taken again when its lease ends: longer
        # than a send may take (WEBHOOK_TIMEOUT_SECONDS), short enough for this test.
        OUTBOX_LEASE_SECONDS="20",
        WEBHOOKS_ALLOW_PRIVATE="1",
        WEBHOOKS_REQUIRE_HTTPS="0",
        WEBHOOK_TIMEOUT_SECONDS="5",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )


@pytest.fixture
def beat(env, tmp_path):
    process = spawn(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "warning"],
        env,
        tmp_path / "beat.log",
    )
    yield process
    stop(process)


@pytest.fixture
def configured(settings, receiver):
    """A 1-minute calendar-time SLA (warning at 30 s), an onboarding outreach follow-up with no
    delay, and a webhook subscription to ticket.created; returns the integration's headers."""
    settings.WEBHOOKS_ALLOW_PRIVATE, settings.WEBHOOKS_REQUIRE_HTTPS = True, False
    team = TeamFactory(is_default=True)
    minute = {(metric, Priority.NORMAL): 1 for metric in ("first_response", "resolution")}
    PolicyFactory(is_default=True, warn_at_percent=50, calendar_targets=minute)
    FollowUpRuleFactory(
        trigger="customer_onboarded",
        action="outreach",
        delay_minutes=0,
        team=team,
        subject="Welcome call for {{ customer.name }}",
        body="Call the new customer.",
    )
    subscription_create(name="receiver", url=receiver.url, events=["ticket.created"])
    _, key = api_token_create(user=IntegrationFactory(), name="faults")
    return {"Authorization": f"Token {key}"}


def _create_all(base: str, headers: dict, on_progress) -> tuple[dict[str, int], Counter]:
    """POST every ticket with its Idempotency-Key; retry errors with the same key."""
    accepted: dict[str, int] = {}
    failures: Counter = Counter()
    lock = threading.Lock()
    local = threading.local()

    def create(number: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, headers=headers, timeout=60)
        key = f"fault-{number}"
        body = {
            "subject": f"Fault {number}",
            "body": "Where is my order?",
            "requester": {"email": f"customer{number % CUSTOMERS}@example.com"},
        }
        for _ in range(60):
            try:
                response = local.client.post(
                    "/api/v1/tickets/", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.TransportError as exc:
                with lock:
                    failures[type(exc).__name__] += 1
                time.sleep(0.5)
                continue
            if response.status_code == 201:
                with lock:
                    accepted[key] = response.json()["id"]
                    on_progress(len(accepted))
                return
            assert response.status_code >= 500, response.text  # never a 4xx for a good request
            with lock:
                failures[response.status_code] += 1
            time.sleep(0.5)
        raise AssertionError(f"{key} was never accepted")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(TICKETS)))
    return accepted, failures


def _due_left(cutoff) -> dict[str, int]:
    """What the sweeps still owe for everything that came due by `cutoff`."""
    running = Q(fulfilled_at__isnull=True, paused_since__isnull=True)
    return {
        "warnings": SlaClock.objects.filter(
            running, warn_at__lte=cutoff, warned_at__isnull=True, breached_at__isnull=True
        ).count(),
        "breaches": SlaClock.objects.filter(
            running, due_at__lte=cutoff, breached_at__isnull=True
        ).count(),
        "followups": FollowUp.objects.filter(
            state=FollowUpState.SCHEDULED, due_at__lte=cutoff
        ).count(),
        "webhooks": OutboxMessage.objects.filter(
            transport="webhook", state__in=[DeliveryState.QUEUED, DeliveryState.SENDING]
        ).count(),
    }


@pytest.mark.timeout(1200)
def test_worker_kills_and_broker_restart_lose_and_double_nothing(
    configured, env, redis, beat, receiver, tmp_path
):
    headers = configured
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one line per request
    worker = Worker(env, tmp_path / "worker.log")
    worker.start()
    chaos = Chaos(worker, redis)
    started = time.monotonic()
    try:
        with gunicorn(env, workers=2, log=tmp_path / "gunicorn.log") as base:
            chaos.start()

            def progress(count: int) -> None:
                if count >= TICKETS * 2 // 5:
                    chaos.redis_at.set()

            accepted, failures = _create_all(base, headers, progress)
            loaded = time.monotonic()
            chaos.halt.set()
            chaos.join(60)
            assert chaos.error is None, chaos.error
            assert chaos.redis_restarts == 1
            assert worker.process.poll() is None  # a clean worker drains what is left

            # Everything created so far comes due within the 1-minute targets; drain it all.
            cutoff = timezone.now() + timedelta(minutes=1, seconds=5)
            wait_until(lambda: timezone.now() > cutoff, timeout=90, interval=1)
            try:
                wait_until(lambda: not any(_due_left(cutoff).values()), timeout=180, interval=2)
            except AssertionError as exc:
                raise AssertionError(f"still owed after 180 s: {_due_left(cutoff)}") from exc
            drained = time.monotonic()
    finally:
        chaos.halt.set()
        worker.stop()

    print(
        f"\n{TICKETS} creates in {loaded - started:.0f} s ({failures or 'no'} errors retried),"
        f" {worker.kills} worker SIGKILLs, {chaos.redis_restarts} broker restart,"
        f" drained {drained - loaded:.0f} s later; receiver refused {receiver.refused},"
        f" saw {sum(receiver.seen.values()) - len(receiver.seen)} duplicate deliveries"
    )

    # Every accepted ticket exists exactly once; one ticket per Idempotency-Key.
    assert len(accepted) == TICKETS
    reactive = Ticket.objects.filter(kind=TicketKind.REACTIVE)
    assert reactive.count() == TICKETS
    subjects = dict(reactive.values_list("pk", "subject"))
    assert {key: subjects.get(pk) for key, pk in accepted.items()} == {
        key: f"Fault {key.removeprefix('fault-')}" for key in accepted
    }

    # Every SLA step that came due was applied exactly once, with one audit event.
    clocks = SlaClock.objects.filter(ticket__kind=TicketKind.REACTIVE)
    assert clocks.count() == 2 * TICKETS
    assert not clocks.filter(warn_at__lte=cutoff, warned_at__isnull=True).exists()
    assert not clocks.filter(due_at__lte=cutoff, breached_at__isnull=True).exists()
    audit = TicketEvent.objects.filter(kind__in=["sla.warning", "sla.breached"])
    doubled = (
        audit.values("ticket", "kind", "after__metric").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not doubled.exists(), list(doubled[:5])
    all_clocks = SlaClock.objects.all()
    assert (
        audit.filter(kind="sla.warning").count()
        == all_clocks.filter(warned_at__isnull=False).count()
    )
    assert (
        audit.filter(kind="sla.breached").count()
        == all_clocks.filter(breached_at__isnull=False).count()
    )

    # Every follow-up that came due was sent once, with its one outreach ticket.
    followups = FollowUp.objects.all()
    assert followups.count() == CUSTOMERS  # one per new customer
    assert set(followups.values_list("state", flat=True)) == {FollowUpState.SENT}
    outreach = Ticket.objects.filter(kind=TicketKind.PROACTIVE)
    assert outreach.count() == CUSTOMERS
    assert set(followups.values_list("result_ticket", flat=True)) == set(
        outreach.values_list("pk", flat=True)
    )

    # Every ticket.created webhook was delivered at least once; one row per ticket.
    deliveries = OutboxMessage.objects.filter(payload__event="ticket.created")
    assert set(deliveries.values_list("state", flat=True)) == {DeliveryState.SENT}
    announced = Counter(deliveries.values_list("payload__body__ticket__id", flat=True))
    assert announced == Counter(Ticket.objects.values_list("pk", flat=True))
    assert set(deliveries.values_list("pk", flat=True)) <= set(receiver.seen)
