"""Time rules among 1,000,000 tickets: the sweep applying the due ones, next to an empty sweep.

Seeds (once, with generate_series SQL, bench/seed.py) a database of its own
(BENCH_AUTOMATIONS_DATABASE_URL, default `hd_bench_automations`): BENCH_AUTOMATIONS_TICKETS
(1,000,000) solved tickets, each with a due row of the shipped "close after 4 days solved"
rule; BENCH_AUTOMATIONS_DUE (10,000) of them are past due. Then, in this process against that
database: the sweep that closes the due tickets (set-based, audit and events included, reset
before each run; batches of 100 as beat's sweep takes them, and of 500), the same sweep row
by row (every row through tickets.services.ticket_update, as before the batch path) on
BENCH_AUTOMATIONS_ROWS (1,000) of the rows, extrapolated to the due count: the ratio's
reference, measured in the same run; an empty sweep on the same data (what
"nothing due" costs among a million rows), and the due query's plan (an index scan of
`timerule_due_idx`).
"""

from __future__ import annotations

import os
import statistics
import time

from . import seed

DATABASE_URL = os.environ.get(
    "BENCH_AUTOMATIONS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hd_bench_automations"
)
TICKETS = int(os.environ.get("BENCH_AUTOMATIONS_TICKETS", "1000000"))
DUE = int(os.environ.get("BENCH_AUTOMATIONS_DUE", "10000"))
ROWS = int(os.environ.get("BENCH_AUTOMATIONS_ROWS", "1000"))
# 100: what beat's sweep takes (time_rules_sweep's default); 500: a larger batch, same path.
BATCH_SIZES = (100, 500)
BROKER_URL = os.environ.get("BENCH_AUTOMATIONS_BROKER_URL", "redis://127.0.0.1:6379/2")


def _seed() -> int:
    from django.db import connection

    from automations.defaults import default_time_rules_install
    from automations.models import TimeRule, TimeRuleDue
    from customers.models import Customer
    from tickets.models import Team, Ticket

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
            seed.insert_series(
                cursor, Customer, count=10_000, values={"name": "'Bench customer ' || g"}
            )
            cursor.execute("SELECT min(id) FROM customers_customer")
            first = cursor.fetchone()[0]
            seed.insert_series(
                cursor,
                Ticket,
                count=TICKETS,
                values={
                    "subject": "'Bench ticket ' || g",
                    "status": "'solved'",
                    "requester_id": "%(first)s + g %% 10000",
                    "team_id": "%(team)s",
                    "created_at": "now() - interval '5 days'",
                    "solved_at": "now() - interval '4 days'",
                },
                params={"first": first, "team": team.pk},
            )
            seed.insert_series(
                cursor,
                TimeRuleDue,
                count=TICKETS,
                values={
                    "ticket_id": "id",
                    "rule_id": "%(rule)s",
                    "due_at": "CASE WHEN row_number() OVER (ORDER BY id) <= %(due)s "
                    "THEN now() - interval '1 hour' ELSE now() + interval '1 day' END",
                },
                params={"rule": rule.pk, "due": DUE},
                source="FROM tickets_ticket",
            )
            cursor.execute("ANALYZE tickets_ticket")
            cursor.execute("ANALYZE automations_timeruledue")
            seconds = time.monotonic() - started
            print(f"  seeded {TICKETS:,} tickets and due rows in {seconds:.0f} s")
    return rule.pk


def _reset(rule_id: int, *, due: int = DUE) -> None:
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
            [due, due],
        )
        cursor.execute("DELETE FROM tickets_ticketevent")
        cursor.execute("DELETE FROM webhooks_webhookdelivery")


def _explain(queryset) -> str:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _row_by_row_ms(rule_id: int) -> tuple[float, int]:
    """The sweep with every row through time_rule_apply (the path before the batch one), on
    the first ROWS due rows: milliseconds per row, and how many rows."""
    from unittest import mock

    from automations import sweeps

    _reset(rule_id, due=ROWS)
    started = time.perf_counter()
    handled = 0
    with mock.patch.object(sweeps, "_set_based", return_value=False):
        while done := sweeps.time_rules_sweep(batch_size=100):
            handled += done
    return (time.perf_counter() - started) * 1000 / max(handled, 1), handled


def run(*, runs: int = 1) -> list[dict]:
    seed.ensure_database(DATABASE_URL)
    seed.setup_django(
        DATABASE_URL,
        CELERY_BROKER_URL=BROKER_URL,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    from django.utils import timezone

    from automations.models import TimeRuleDue
    from automations.sweeps import time_rules_sweep

    rule_id = _seed()
    sweep_ms: dict[int, list[float]] = {size: [] for size in BATCH_SIZES}
    empty_ms, handled = [], 0
    for _ in range(runs):
        for size in BATCH_SIZES:
            _reset(rule_id)
            started = time.perf_counter()
            handled = 0
            while done := time_rules_sweep(batch_size=size):  # a sweep stops at 50 batches
                handled += done
            sweep_ms[size].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        time_rules_sweep()
        empty_ms.append((time.perf_counter() - started) * 1000)
    row_ms, row_rows = _row_by_row_ms(rule_id)
    plan = _explain(
        TimeRuleDue.objects.filter(applied_at__isnull=True, due_at__lte=timezone.now()).order_by(
            "due_at", "id"
        )[:100]
    )
    print("\nTime-rule due query plan:\n" + plan)
    empty = statistics.median(empty_ms)
    row_by_row = row_ms * handled  # the same rows through the row path, extrapolated
    print(
        f"  row by row ({row_rows:,} rows measured): {row_ms:.2f} ms a row, "
        f"{row_by_row / 1000:.1f} s for {handled:,}; empty sweep {empty:.1f} ms"
    )
    rows = []
    for size in BATCH_SIZES:
        sweep = statistics.median(sweep_ms[size])
        rows.append(
            {
                "benchmark": f"time-rule sweep: {handled:,} due of {TICKETS:,}, batch {size}",
                "value": sweep,
                "unit": "ms",
                "reference": f"row by row {row_by_row / 1000:.1f} s, empty sweep {empty:.1f} ms",
                "ratio": sweep / row_by_row if row_by_row else 0,
                "per_row_ms": sweep / max(handled, 1),
                "row_by_row_ms_per_row": row_ms,
                "empty_sweep_ms": empty,
                "index_scan": "timerule_due_idx" in plan,
                "plan": plan,
            }
        )
    return rows
