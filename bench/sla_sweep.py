"""SLA and follow-up sweeps, the agents' queue and the ticket list on 1,000,000 open tickets.

Seeds (once, with generate_series SQL) a database of its own (BENCH_SLA_DATABASE_URL, default
`hd_bench_sla`): 1,000,000 open tickets in one team, each with a running resolution clock;
1,000 clocks are past due. Then, in this process with Django set up against that database:
- the sweep that breaches the 1,000 due clocks (reset before each run), next to an empty sweep
  on the same data (the reference: what finding "nothing due" costs among a million rows);
- the sweep's due query plan (EXPLAIN ANALYZE: it must be an index scan of the partial index);
- the queue's first page (GET /api/v1/queue/ through the full Django/DRF stack with a token,
  in-process, no HTTP socket) p50/p99 over 200 requests, its SQL queries and its plan; the same
  for the ticket list's first page (GET /api/v1/tickets/); reference: GET /api/v1/ping/ through
  the same stack (what any authenticated request costs);
- the follow-up sweep: 1,000,000 scheduled follow-ups (email action, locmem backend), 1,000 of
  them due, next to an empty follow-up sweep.
"""

from __future__ import annotations

import os
import statistics
import time

from . import harness, seed

DATABASE_URL = os.environ.get(
    "BENCH_SLA_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hd_bench_sla"
)
TICKETS = int(os.environ.get("BENCH_SLA_TICKETS", "1000000"))
DUE = 1000
CUSTOMERS = 10_000  # tickets spread over them (per-customer health is refreshed per breach)


BROKER_URL = os.environ.get("BENCH_SLA_BROKER_URL", "redis://127.0.0.1:6379/2")


def _seed() -> dict:
    """The world: a team, an agent, a 24/7 policy; customers, tickets and clocks by SQL."""
    from django.db import connection

    from accounts.models import Role, User
    from accounts.services import api_token_create
    from customers.models import Customer
    from slas.models import SlaPolicy
    from tickets.models import Team, Ticket

    team, _ = Team.objects.get_or_create(name="Bench team")
    agent = User.objects.filter(username="bench-agent").first()
    if agent is None:
        agent = User.objects.create(username="bench-agent", role=Role.AGENT)
        team.members.add(agent)
    policy = SlaPolicy.objects.filter(name="Bench").first() or SlaPolicy.objects.create(
        name="Bench", calendar=None
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE team_id = %s", [team.pk])
        have = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM customers_customer")
        customers = cursor.fetchone()[0]
        if have != TICKETS or customers < CUSTOMERS:
            started = time.monotonic()
            cursor.execute(
                "TRUNCATE slas_slaclock, tickets_ticketevent, tickets_ticket, "
                "customers_customer CASCADE"
            )
            seed.insert_series(
                cursor, Customer, count=CUSTOMERS, values={"name": "'Bench customer ' || g"}
            )
            cursor.execute("SELECT min(id) FROM customers_customer")
            first_customer = cursor.fetchone()[0]
            # Open tickets; next_due_at spread over the next ~7 days, the first DUE ones past.
            seed.insert_series(
                cursor,
                Ticket,
                count=TICKETS,
                values={
                    "subject": "'Bench ticket ' || g",
                    "status": "CASE WHEN g %% 3 = 0 THEN 'new' ELSE 'open' END",
                    "priority": "1 + g %% 4",
                    "channel": "'email'",
                    "requester_id": "%(first)s + g %% %(customers)s",
                    "team_id": "%(team)s",
                    "created_at": "now() - (g %% 10000) * interval '1 minute'",
                    "next_due_at": "CASE WHEN g <= %(due)s "
                    "THEN now() - interval '1 hour' + g * interval '1 second' "
                    "ELSE now() + interval '1 hour' + (g %% 10000) * interval '1 minute' END",
                },
                params={
                    "first": first_customer,
                    "customers": CUSTOMERS,
                    "team": team.pk,
                    "due": DUE,
                },
            )
            cursor.execute(
                """
                INSERT INTO slas_slaclock (ticket_id, metric, policy_id, target_minutes,
                    business_hours, started_at, segment_started_at, consumed_minutes, due_at,
                    warn_at, warned_at, escalation_level, updated_at)
                SELECT id, 'resolution', %s, 600, false, created_at, created_at, 0, next_due_at,
                    next_due_at - interval '150 minutes',
                    CASE WHEN next_due_at < now() THEN now() END, 0, now()
                FROM tickets_ticket WHERE team_id = %s
                """,
                [policy.pk, team.pk],
            )
            cursor.execute("ANALYZE tickets_ticket")
            cursor.execute("ANALYZE slas_slaclock")
            print(f"  seeded {TICKETS:,} tickets and clocks in {time.monotonic() - started:.0f} s")
        cursor.execute("SELECT count(*) FROM followups_followup")
        if cursor.fetchone()[0] != TICKETS:
            from customers.models import Customer

            _seed_followups(cursor, Customer.objects.order_by("id").first())
    _, key = api_token_create(user=agent, name="bench")
    return {"team": team, "agent": agent, "token": key}


def _seed_followups(cursor, customer) -> None:
    """1,000,000 scheduled follow-ups of one email rule, the first DUE of them past due."""
    from customers.models import CustomerIdentity
    from success.models import FollowUpRule

    CustomerIdentity.objects.get_or_create(
        customer=customer, kind="email", platform="", value="bench@example.com"
    )
    rule = FollowUpRule.objects.filter(name="Bench").first() or FollowUpRule.objects.create(
        name="Bench",
        trigger="delivery",
        action="email",
        subject="Hello",
        body="Getting started: https://help.example",
        quiet_if_open_ticket=False,
    )
    from success.models import FollowUp

    cursor.execute("TRUNCATE followups_followup")
    # Only the columns that matter: the others get their defaults (message_id, added later,
    # broke a seed that listed every column by hand).
    seed.insert_series(
        cursor,
        FollowUp,
        count=TICKETS,
        values={
            "rule_id": "%(rule)s",
            "customer_id": "%(customer)s",
            "subject_key": "'bench:' || g",
            "due_at": "CASE WHEN g <= %(due)s "
            "THEN now() - interval '1 hour' + g * interval '1 second' "
            "ELSE now() + interval '1 hour' + (g %% 100000) * interval '1 minute' END",
            "state": "'scheduled'",
        },
        params={"rule": rule.pk, "customer": customer.pk, "due": DUE},
    )
    cursor.execute("ANALYZE followups_followup")


def _reset_followups() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE followups_followup SET state = 'scheduled', done_at = NULL, outcome = '' "
            "WHERE state <> 'scheduled'"
        )


def _latency(client, path: str, count: int = 200) -> tuple[list[float], int]:
    """Milliseconds per request over `count` requests (after a warm-up), and SQL queries of
    one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(20):
        client.get(path)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:200]
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return samples, len(queries.captured_queries)


def _reset_due() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE slas_slaclock SET breached_at = NULL, next_escalation_at = NULL "
            "WHERE breached_at IS NOT NULL"
        )
        cursor.execute("DELETE FROM tickets_ticketevent WHERE kind LIKE 'sla.%%'")
        # what the followups app records per breach (customer health), so runs are alike
        cursor.execute("TRUNCATE followups_poorexperience, followups_customerhealth CASCADE")


def _explain(queryset) -> str:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(*, runs: int = 3) -> list[dict]:
    seed.ensure_database(DATABASE_URL)
    seed.setup_django(
        DATABASE_URL,
        CELERY_BROKER_URL=BROKER_URL,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from slas.models import SlaClock
    from slas.sweeps import BREACH_DUE, sla_sweep
    from tickets.selectors import tickets_in_queue_of

    setup_test_environment()  # the test client needs 'testserver' in ALLOWED_HOSTS
    world = _seed()
    harness.freeze_like_servers("BENCH_SLA_GC_FREEZE")

    sweep_ms, empty_ms, handled = [], [], 0
    for _ in range(runs):
        _reset_due()
        started = time.perf_counter()
        done = sla_sweep()
        sweep_ms.append((time.perf_counter() - started) * 1000)
        handled = done["breaches"]
        started = time.perf_counter()
        sla_sweep()  # nothing due any more
        empty_ms.append((time.perf_counter() - started) * 1000)
    due_plan = _explain(
        SlaClock.objects.filter(due_at__lte=timezone.now(), **BREACH_DUE).order_by("due_at")[:100]
    )
    _reset_due()  # leave the data as seeded
    import redis

    redis.Redis.from_url(BROKER_URL).delete("celery")  # the notifications no worker took

    from success.models import FollowUp
    from success.services import due_followups
    from success.tasks import followup_sweep

    followup_ms, followup_empty_ms, followups_sent = [], [], 0
    for _ in range(runs):
        _reset_followups()
        started = time.perf_counter()
        followups_sent = followup_sweep()
        followup_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        followup_sweep()
        followup_empty_ms.append((time.perf_counter() - started) * 1000)
    followup_plan = _explain(due_followups()[:100])
    _reset_followups()
    assert FollowUp.objects.filter(state="scheduled").count() == TICKETS

    client = Client(headers={"Authorization": f"Token {world['token']}"})
    queue_ms, queue_queries = _latency(client, "/api/v1/queue/")
    list_ms, list_queries = _latency(client, "/api/v1/tickets/")
    ping_ms, _ = _latency(client, "/api/v1/ping/")
    queue_plan = _explain(tickets_in_queue_of(world["agent"])[:25])

    print("\nSLA breach sweep, due query plan:\n" + due_plan)
    print("\nQueue first page plan:\n" + queue_plan)
    sweep, empty = statistics.median(sweep_ms), statistics.median(empty_ms)
    return [
        {
            "benchmark": f"sla sweep: {handled} due of {TICKETS:,}",
            "value": sweep,
            "unit": "ms",
            "reference": f"empty sweep {empty:.1f} ms",
            "ratio": sweep / empty if empty else 0,
            "per_row_ms": sweep / max(handled, 1),
            "index_scan": "clock_breach_due_idx" in due_plan,
            "plan": due_plan,
        },
        {
            "benchmark": f"follow-up sweep: {followups_sent} due of {TICKETS:,}",
            "value": statistics.median(followup_ms),
            "unit": "ms",
            "reference": f"empty sweep {statistics.median(followup_empty_ms):.1f} ms",
            "ratio": statistics.median(followup_ms)
            / max(statistics.median(followup_empty_ms), 0.001),
            "index_scan": "followup_due_idx" in followup_plan,
            "plan": followup_plan,
        },
        _page_row(
            f"queue first page ({TICKETS:,} open)", queue_ms, queue_queries, ping_ms, queue_plan
        ),
        _page_row(f"ticket list first page ({TICKETS:,})", list_ms, list_queries, ping_ms, ""),
    ]


def _page_row(name: str, samples: list[float], queries: int, ping: list[float], plan: str) -> dict:
    p50, ping_p50 = statistics.median(samples), statistics.median(ping)
    return {
        "benchmark": name,
        "value": p50,
        "unit": f"ms p50, p99 {_percentile(samples, 0.99):.1f} ms, {queries} queries",
        "reference": f"ping p50 {ping_p50:.1f} ms",
        "ratio": p50 / ping_p50 if ping_p50 else 0,
        "p99_ms": _percentile(samples, 0.99),
        "queries": queries,
        "plan": plan,
    }
