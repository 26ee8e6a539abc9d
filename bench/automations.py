"""Time rules among 1,000,000 tickets: the sweep applying the due ones, next to an empty sweep.

Seeds (once, with generate_series SQL) a database of its own (BENCH_AUTOMATIONS_DATABASE_URL,
default `hd_bench_automations`): BENCH_AUTOMATIONS_TICKETS (1,000,000) solved tickets, each
with a due row of the shipped "close after 4 days solved" rule; BENCH_AUTOMATIONS_DUE (10,000)
of them are past due. Then, in this process against that database: the sweep that closes
the due tickets (each through tickets.services.ticket_update, audit and events included,
reset before each run), an empty sweep on the same data (what "nothing due" costs among a
million rows), and the due query's plan (an index scan of `timerule_due_idx`).
"""

from __future__ import annotations

import os
import statistics
import time
from urllib.parse import urlparse

import psycopg

from . import harness

DATABASE_URL = os.environ.get(
    "BENCH_AUTOMATIONS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hd_bench_automations"
)
TICKETS = int(os.environ.get("BENCH_AUTOMATIONS_TICKETS", "1000000"))
DUE = int(os.environ.get("BENCH_AUTOMATIONS_DUE", "10000"))
BROKER_URL = os.environ.get("BENCH_AUTOMATIONS_BROKER_URL", "redis://127.0.0.1:6379/2")


def _ensure_database() -> None:
    url = urlparse(DATABASE_URL)
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        name = url.path.lstrip("/")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    harness.manage("migrate", "--noinput", DATABASE_URL=DATABASE_URL)


def _setup_django() -> None:
    os.environ.update(
        harness.environment(
            DATABASE_URL=DATABASE_URL,
            CELERY_BROKER_URL=BROKER_URL,
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _seed() -> int:
    from django.db import connection

    from automations.defaults import default_time_rules_install
    from automations.models import TimeRule
    from tickets.models import Team

    default_time_rules_install()
    rule = TimeRule.objects.get(timer="solved", name__startswith="Close")
    team, _ = Team.objects.get_or_create(name="Bench team")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM automations_timeruledue")
        if cursor.fetchone()[0] != TICKETS:
            started = time.monotonic()
            cursor.execute(
                "TRUNCATE automations_timeruledue, tickets_ticketevent, tickets_ticket, "
                "customers_customer CASCADE"
            )
            cursor.execute(
                "INSERT INTO customers_customer (name, created_at, updated_at) "
                "SELECT 'Bench customer ' || g, now(), now() FROM generate_series(1, 10000) g"
            )
            cursor.execute("SELECT min(id) FROM customers_customer")
            first = cursor.fetchone()[0]
            cursor.execute(
                """
                INSERT INTO tickets_ticket (subject, status, priority, type, channel, kind,
                    requester_id, team_id, external_ref, created_at, updated_at, outside_plan,
                    version, solved_at)
                SELECT 'Bench ticket ' || g, 'solved', 2, 'question', 'email', 'reactive',
                    %s + g %% 10000, %s, '', now() - interval '5 days', now(), false, 1,
                    now() - interval '4 days'
                FROM generate_series(1, %s) AS g
                """,
                [first, team.pk, TICKETS],
            )
            cursor.execute(
                """
                INSERT INTO automations_timeruledue (ticket_id, rule_id, due_at, outcome)
                SELECT id, %s, CASE WHEN row_number() OVER (ORDER BY id) <= %s
                    THEN now() - interval '1 hour' ELSE now() + interval '1 day' END, ''
                FROM tickets_ticket
                """,
                [rule.pk, DUE],
            )
            cursor.execute("ANALYZE tickets_ticket")
            cursor.execute("ANALYZE automations_timeruledue")
            seconds = time.monotonic() - started
            print(f"  seeded {TICKETS:,} tickets and due rows in {seconds:.0f} s")
    return rule.pk


def _reset(rule_id: int) -> None:
    """Back to the seeded state: applied rows due again, their tickets solved, no history."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET status = 'solved', closed_at = NULL WHERE id IN "
            "(SELECT ticket_id FROM automations_timeruledue WHERE applied_at IS NOT NULL)"
        )
        cursor.execute(
            "UPDATE automations_timeruledue SET applied_at = NULL, outcome = '' "
            "WHERE applied_at IS NOT NULL"
        )
        # Exactly DUE rows due (the first by id), whatever DUE the data was seeded with.
        cursor.execute(
            "UPDATE automations_timeruledue SET due_at = CASE WHEN id IN (SELECT id FROM "
            "automations_timeruledue ORDER BY id LIMIT %s) THEN now() - interval '1 hour' "
            "ELSE now() + interval '1 day' END WHERE (due_at <= now()) <> (id IN (SELECT id "
            "FROM automations_timeruledue ORDER BY id LIMIT %s))",
            [DUE, DUE],
        )
        cursor.execute("DELETE FROM tickets_ticketevent")
        cursor.execute("DELETE FROM webhooks_webhookdelivery")


def _explain(queryset) -> str:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def run(*, runs: int = 1) -> list[dict]:
    _ensure_database()
    _setup_django()
    from django.utils import timezone

    from automations.models import TimeRuleDue
    from automations.sweeps import time_rules_sweep

    rule_id = _seed()
    _reset(rule_id)
    sweep_ms, empty_ms, handled = [], [], 0
    for _ in range(runs):
        _reset(rule_id)
        started = time.perf_counter()
        handled = 0
        while done := time_rules_sweep(batch_size=100):  # a sweep stops at 50 batches
            handled += done
        sweep_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        time_rules_sweep()
        empty_ms.append((time.perf_counter() - started) * 1000)
    plan = _explain(
        TimeRuleDue.objects.filter(applied_at__isnull=True, due_at__lte=timezone.now()).order_by(
            "due_at", "id"
        )[:100]
    )
    print("\nTime-rule due query plan:\n" + plan)
    sweep, empty = statistics.median(sweep_ms), statistics.median(empty_ms)
    return [
        {
            "benchmark": f"time-rule sweep: {handled:,} due of {TICKETS:,}",
            "value": sweep,
            "unit": "ms",
            "reference": f"empty sweep {empty:.1f} ms",
            "ratio": sweep / empty if empty else 0,
            "per_row_ms": sweep / max(handled, 1),
            "index_scan": "timerule_due_idx" in plan,
            "plan": plan,
        }
    ]
