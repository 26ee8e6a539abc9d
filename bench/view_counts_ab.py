"""The desk's view counts with and without their status bound, alternated in one process:
`python -m bench.view_counts_ab [closed] [calls]`.

Adds `closed` closed tickets (default 200,000; triggers off while they are copied in, as
old history would be, then ANALYZE) to the bench database's Support team once, then times
`desk.ticket_lists.view_links` for alice (no saved views) `calls` times with the bound
(`_counted_bound`, what runs) and without it (the read of every ticket of her teams, as
before), twice each, and prints the time per call and the counts, which must be the same.
"""

from __future__ import annotations

import os
import sys
import time

import psycopg

from . import harness

COPY_CLOSED = """
INSERT INTO tickets_ticket (subject, status, priority, type, channel, kind, external_ref,
    created_at, updated_at, outside_plan, version, requester_id, team_id, solved_at)
SELECT 'closed history ' || g, 'closed', t.priority, t.type, t.channel, t.kind, '',
    t.created_at - interval '200 days', t.updated_at, t.outside_plan, 1, t.requester_id,
    t.team_id, t.created_at - interval '199 days'
FROM (SELECT * FROM tickets_ticket WHERE team_id IS NOT NULL ORDER BY id LIMIT 1) t,
    generate_series(1, %s) g
"""


def main() -> None:
    closed = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    harness.ensure_database()
    harness.manage("seed_demo")
    have = harness.sql("SELECT count(*) FROM tickets_ticket WHERE status = 'closed'")[0][0]
    if have < closed:
        with psycopg.connect(harness.DATABASE_URL, autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")  # no triggers: history
            conn.execute(COPY_CLOSED, (closed - have,))
    harness.sql("ANALYZE")
    os.environ.update(harness.environment())
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from desk import ticket_lists, view_counts

    alice = User.objects.get(username="alice")
    bounded = ticket_lists._counted_bound

    def timed(bound: bool) -> tuple[float, dict]:
        ticket_lists._counted_bound = bounded if bound else (lambda saved, now: None)
        view_counts._KEPT.clear()
        ticket_lists.view_links(alice, [], timezone.now())  # compile and keep the shape
        started = time.perf_counter()
        for _ in range(calls):
            links = ticket_lists.view_links(alice, [], timezone.now())
        return (time.perf_counter() - started) / calls * 1000, {x.key: x.count for x in links}

    open_count = harness.sql("SELECT count(*) FROM tickets_ticket WHERE status <> 'closed'")
    print(f"{open_count[0][0]:,} tickets not closed, {max(have, closed):,} closed")
    for _ in range(2):
        for bound in (False, True):
            ms, counts = timed(bound)
            label = "bounded  " if bound else "unbounded"
            print(f"view counts {label}: {ms:.1f} ms per call  {counts}")


if __name__ == "__main__":
    main()
