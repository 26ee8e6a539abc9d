"""Reports and exports at scale: every report's latency, and an export's memory.

Seeds (once, with generate_series SQL) a database of its own (BENCH_REPORTS_DATABASE_URL,
default `hd_bench_reports`): BENCH_REPORTS_TICKETS tickets (default 1,000,000) over the last
365 days on 20,000 customers in 4 tiers (and none), 5 teams, 5 channels, 10 agents; three SLA
clocks each (first response, next response, resolution: 3,000,000); one public agent reply
each; a pending stretch on every tenth; 200,000 answered surveys; 100,000 follow-ups; 2,000
at-risk episodes. Then, in this process with Django set up against it (DEBUG off):
- each report (`GET /api/v1/reports/<name>/` through the full Django/DRF stack with a manager's
  token, in-process, no HTTP socket), p50/p99 over BENCH_REPORTS_REQUESTS requests, for the
  default 30-day window and for 365 days; reference: GET /api/v1/ping/ through the same stack;
- the streamed CSV export of every ticket (one year: all of them), in a fresh child process,
  its rows, time and peak RSS (VmHWM) next to the same child's RSS before the export
  (BENCH_REPORTS_EXPORT=0 skips it).
The rollups are rebuilt (rebuild_report_rollups) once after seeding; the SLA report is also
measured in Europe/Berlin (a rollup zone), and the reports with filters: a tier, a team plus
a channel, all four dimensions (SLA, agents: their full-key rollup rows); success with a tier
and with today's UTC day marked (its retention reads a rollup; episodes and follow-ups live).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlparse

import psycopg

from . import harness

DATABASE_URL = os.environ.get(
    "BENCH_REPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hd_bench_reports"
)
TICKETS = int(os.environ.get("BENCH_REPORTS_TICKETS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_REPORTS_REQUESTS", "20"))
SURVEYS = TICKETS // 5
CUSTOMERS = 20_000
REPORTS = ("sla", "backlog", "satisfaction", "success", "agents")


def _ensure_database() -> None:
    url = urlparse(DATABASE_URL)
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        name = url.path.lstrip("/")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    harness.manage("migrate", "--noinput", DATABASE_URL=DATABASE_URL)


def _setup_django() -> None:
    os.environ.update(harness.environment(DATABASE_URL=DATABASE_URL))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


SEED_SQL = [
    # 20,000 customers; tier by id (four tiers and "none")
    """
    INSERT INTO customers_customer (name, tier_id, created_at, updated_at,
        is_organization_contact, locale)
    SELECT 'Bench customer ' || g,
           (ARRAY[%(t1)s, %(t2)s, %(t3)s, %(t4)s, NULL])[1 + g %% 5]::bigint, now(), now(),
           false, ''
      FROM generate_series(1, %(customers)s) g
    """,
    # tickets over the last 365 days; 90%% solved (or closed), 5%% open, 5%% pending
    """
    INSERT INTO tickets_ticket (subject, status, priority, type, channel, kind, requester_id,
        team_id, assignee_id, external_ref, created_at, updated_at, first_replied_at,
        solved_at, outside_plan, version)
    SELECT 'Bench ticket ' || g,
           CASE WHEN g %% 20 = 0 THEN 'open' WHEN g %% 20 = 1 THEN 'pending'
                WHEN g %% 20 = 2 THEN 'closed' ELSE 'solved' END,
           1 + g %% 4, 'question',
           (ARRAY['email', 'chat', 'phone', 'web', 'social'])[1 + (g / 7) %% 5],
           'reactive', %(first_customer)s + (g * 7) %% %(customers)s,
           (ARRAY%(teams)s)[1 + (g / 3) %% 5], (ARRAY%(agents)s)[1 + (g / 11) %% 10], '',
           c, c + interval '1 hour', c + (g %% 120) * interval '1 minute',
           CASE WHEN g %% 20 > 1 THEN c + (g %% 900) * interval '1 minute' END, false, 1
      FROM generate_series(1, %(tickets)s) g,
           LATERAL (SELECT now() - ((g::bigint * 7919) %% 525600) * interval '1 minute' AS c)
           AS created
    """,
    # three clocks per ticket: first response and next response (due after 60 minutes,
    # answered after 0-119), resolution (due after 480, solved after 0-899 or running)
    """
    INSERT INTO slas_slaclock (ticket_id, metric, policy_id, target_minutes, business_hours,
        started_at, segment_started_at, consumed_minutes, due_at, warn_at, fulfilled_at,
        breached_at, escalation_level, updated_at)
    SELECT t.id, m.metric, %(policy)s, m.target, true, t.created_at, t.created_at,
           COALESCE(EXTRACT(EPOCH FROM (f.at - t.created_at)) / 60 * 0.7, 0),
           t.created_at + m.target * interval '1 minute',
           t.created_at + m.target * 0.75 * interval '1 minute', f.at,
           CASE WHEN COALESCE(f.at, now()) > t.created_at + m.target * interval '1 minute'
                THEN t.created_at + m.target * interval '1 minute' END,
           CASE WHEN COALESCE(f.at, now()) > t.created_at + m.target * interval '1 minute'
                THEN 1 + t.id %% 2 ELSE 0 END,
           now()
      FROM tickets_ticket t
     CROSS JOIN (VALUES ('first_response', 60), ('next_response', 60), ('resolution', 480))
           AS m(metric, target)
     CROSS JOIN LATERAL (SELECT CASE WHEN m.metric = 'resolution' THEN t.solved_at
                                     ELSE t.first_replied_at END AS at) f
    """,
    # one public agent reply per ticket
    """
    INSERT INTO tickets_message (ticket_id, author_user_id, direction, is_public, channel,
        body_text, body_html, external_id, created_at, withheld_parts)
    SELECT id, assignee_id, 'outbound', true, channel, 'Hello', '', '', first_replied_at, '[]'
      FROM tickets_ticket
    """,
    # a pending stretch (10-70 minutes) on every tenth ticket
    """
    INSERT INTO tickets_ticketevent (ticket_id, kind, before, after, created_at)
    SELECT id, 'status_changed', '{"status": "open"}'::jsonb, '{"status": "pending"}'::jsonb,
           created_at + interval '2 hours'
      FROM tickets_ticket WHERE id %% 10 = 0
    UNION ALL
    SELECT id, 'status_changed', '{"status": "pending"}'::jsonb, '{"status": "open"}'::jsonb,
           created_at + interval '2 hours' + (10 + id %% 60) * interval '1 minute'
      FROM tickets_ticket WHERE id %% 10 = 0
    """,
    # surveys: one solved ticket in five, answered by four in five
    """
    INSERT INTO followups_survey (ticket_id, customer_id, sent_at, expires_at, csat, ces, nps,
        comment, answered_at)
    SELECT id, requester_id, solved_at + interval '1 hour', solved_at + interval '31 days',
           CASE WHEN id %% 5 <> 0 THEN 1 + id %% 5 END, CASE WHEN id %% 5 <> 0 THEN 1 + id %% 7 END,
           CASE WHEN id %% 5 <> 0 THEN id %% 11 END, '',
           CASE WHEN id %% 5 <> 0 THEN solved_at + interval '5 hours' END
      FROM tickets_ticket WHERE solved_at IS NOT NULL AND id %% 4 = 1
     LIMIT %(surveys)s
    """,
    """
    INSERT INTO followups_followup (rule_id, customer_id, subject_key, ticket_id, due_at, state,
        attempts, error, outcome, message_id, created_at)
    SELECT %(rule)s, requester_id, 'bench:' || id, id, solved_at,
           (ARRAY['sent', 'sent', 'sent', 'failed', 'skipped'])[1 + id %% 5], 0, '', '', '',
           now()
      FROM tickets_ticket WHERE solved_at IS NOT NULL AND id %% 9 = 4 LIMIT %(followups)s
    """,
    """
    INSERT INTO reports_atriskepisode (customer_id, flagged_at, recovered_at, causes, tier_id)
    SELECT c.id, now() - (c.id %% 365) * interval '1 day',
           CASE WHEN c.id %% 3 <> 0 THEN now() - (c.id %% 365) * interval '1 day'
                + interval '10 days' END,
           '["sla_breached", "low_csat"]'::jsonb, c.tier_id
      FROM customers_customer c WHERE c.id %% 10 = 0
    """,
]


def _seed() -> str:
    """The world, once; returns a manager's token."""
    from django.db import connection

    from accounts.models import Role, User
    from accounts.services import api_token_create
    from slas.models import SlaPolicy, SlaTier
    from success.models import FollowUpRule
    from tickets.models import Team

    manager = User.objects.filter(username="bench-manager").first() or User.objects.create(
        username="bench-manager", role=Role.MANAGER
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        if cursor.fetchone()[0] != TICKETS:
            started = time.monotonic()
            cursor.execute(
                "TRUNCATE slas_slaclock, tickets_ticketevent, tickets_message, tickets_ticket, "
                "followups_survey, followups_followup, reports_atriskepisode, "
                "customers_customer CASCADE"
            )
            tiers = [
                SlaTier.objects.get_or_create(name=f"Tier {rank}", defaults={"rank": rank})[0].pk
                for rank in (10, 20, 30, 40)
            ]
            teams = [Team.objects.get_or_create(name=f"Team {i}")[0].pk for i in range(5)]
            agents = []
            for i in range(10):
                agent, _ = User.objects.get_or_create(username=f"bench-agent-{i}")
                agents.append(agent.pk)
            policy = SlaPolicy.objects.filter(name="Bench").first() or SlaPolicy.objects.create(
                name="Bench"
            )
            rule = FollowUpRule.objects.get_or_create(
                name="Bench survey", defaults={"trigger": "ticket_solved", "action": "survey"}
            )[0]
            params = {
                "t1": tiers[0], "t2": tiers[1], "t3": tiers[2], "t4": tiers[3],
                "customers": CUSTOMERS, "tickets": TICKETS, "policy": policy.pk,
                "surveys": SURVEYS, "rule": rule.pk, "followups": TICKETS // 10,
            }  # fmt: skip
            for statement in SEED_SQL:
                if "first_customer" in statement:
                    cursor.execute("SELECT min(id) FROM customers_customer")
                    params["first_customer"] = cursor.fetchone()[0]
                sql = statement.replace("ARRAY%(teams)s", f"ARRAY{teams}::bigint[]")
                sql = sql.replace("ARRAY%(agents)s", f"ARRAY{agents}::bigint[]")
                step = time.monotonic()
                cursor.execute(sql, params)
                print(f"  {cursor.rowcount:>9,} rows in {time.monotonic() - step:5.1f} s")
            for table in (
                "customers_customer", "tickets_ticket", "slas_slaclock", "tickets_message",
                "tickets_ticketevent", "followups_survey", "followups_followup",
            ):  # fmt: skip
                cursor.execute(f"VACUUM ANALYZE {table}")
            print(f"  seeded {TICKETS:,} tickets in {time.monotonic() - started:.0f} s")
    _ensure_rollups()
    _, key = api_token_create(user=manager, name="bench")
    return key


def _ensure_rollups() -> None:
    """The rollups (rebuild_report_rollups), once per seeded world and set of zones."""
    from reports.models import RollupZone
    from reports.rollups.refresh import rollup_zones, rollups_rebuild, rollups_refresh

    if set(RollupZone.objects.values_list("zone", flat=True)) == set(rollup_zones()):
        rollups_refresh()
        return
    started = time.monotonic()
    rollups_rebuild()
    print(f"  rebuilt the rollups ({', '.join(rollup_zones())}) in "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip


def _mark_today() -> None:
    """A refresh as beat does it, then a write's mark on today's UTC day: what a report meets
    between two beat runs under a stream of writes (it reads the rollups as they are: they are
    younger than REPORTS_MAX_STALENESS_SECONDS)."""
    from django.db import connection

    from reports.rollups.refresh import rollups_refresh

    rollups_refresh()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reports_rollupdirtyday (day) VALUES ((now() AT TIME ZONE 'UTC')::date)"
            " ON CONFLICT DO NOTHING"
        )


def _latency(client, path: str, params: dict, count: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(path, params)
        assert response.status_code == 200, (path, params, response.content[:300])
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, params)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as queries:
        client.get(path, params)
    return samples, len(queries.captured_queries)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _export_child() -> None:
    """In a fresh process: stream the one-year tickets CSV export to nowhere; print figures."""
    _setup_django()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User
    from accounts.services import api_token_create

    setup_test_environment()
    _, key = api_token_create(user=User.objects.get(username="bench-manager"), name="export")
    client = Client(headers={"Authorization": f"Token {key}"})
    client.get("/api/v1/ping/")
    before = harness.peak_rss_mib(os.getpid())
    started = time.perf_counter()
    response = client.get("/api/v1/exports/tickets/", _window(366))
    lines, size = 0, 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    print(
        json.dumps(
            {
                "rows": lines - 1,
                "seconds": time.perf_counter() - started,
                "mib_written": size / 2**20,
                "rss_before_mib": before,
                "peak_rss_mib": harness.peak_rss_mib(os.getpid()),
            }
        )
    )


def run(*, runs: int = 3) -> list[dict]:
    _ensure_database()
    _setup_django()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    token = _seed()
    client = Client(headers={"Authorization": f"Token {token}"})
    ping, _ = _latency(client, "/api/v1/ping/", {}, 50)
    ping_p50 = statistics.median(ping)
    rows = []
    from slas.models import SlaTier
    from tickets.models import Team

    tier = SlaTier.objects.get(name="Tier 10").pk
    team = Team.objects.get(name="Team 1").pk
    every = {"tier": tier, "team": team, "channel": "chat"}
    cases = [(name, {}, "") for name in REPORTS] + [
        ("sla", {"tz": "Europe/Berlin"}, " Berlin"),
        ("sla", {"tier": tier}, " 1 tier"),
        ("backlog", {"tier": tier}, " 1 tier"),
        ("backlog", {"team": team, "channel": "chat"}, " team+channel"),
        ("sla", {"team": team, "channel": "chat"}, " team+channel"),
        ("sla", {}, " today marked"),
        ("satisfaction", {"tier": tier}, " 1 tier"),
        ("satisfaction", {"team": team, "channel": "chat"}, " team+channel"),
        ("backlog", {}, " today marked"),
        ("agents", {"tier": tier}, " 1 tier"),
        ("agents", {"team": team, "channel": "chat"}, " team+channel"),
        ("sla", {**every, "priority": "normal"}, " 4 filters"),
        ("agents", {**every, "priority": "normal"}, " 4 filters"),
        ("success", {"tier": tier}, " 1 tier"),
        ("success", {}, " today marked"),
    ]
    from reports.rollups.refresh import rollup_zones

    for days in (30, 365):
        for name, extra, label in cases:
            if extra.get("tz", "UTC") not in rollup_zones():  # (REPORTS_ROLLUP_ZONES narrowed)
                print(f"  skipped reports/{name}/{label}: {extra['tz']} is not a rollup zone")
                continue
            window = {**_window(days), **extra}
            if label == " today marked":
                _mark_today()
            samples, queries = _latency(
                client, f"/api/v1/reports/{name}/", window, max(REQUESTS // (1 + days // 100), 3)
            )
            p50 = statistics.median(samples)
            rows.append(
                {
                    "benchmark": f"reports/{name}/{label}, {days} days of {TICKETS:,}",
                    "value": p50,
                    "unit": f"ms p50, p99 {_percentile(samples, 0.99):.0f} ms, {queries} queries",
                    "reference": f"ping p50 {ping_p50:.1f} ms",
                    "ratio": p50 / ping_p50 if ping_p50 else 0,
                    "p99_ms": _percentile(samples, 0.99),
                    "queries": queries,
                }
            )
    if os.environ.get("BENCH_REPORTS_EXPORT", "1") == "0":
        return rows
    child = subprocess.run(
        [sys.executable, "-m", "bench.reports", "--export-child"],
        cwd=harness.ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        check=True,
    )
    export = json.loads(child.stdout.strip().splitlines()[-1])
    rows.append(
        {
            "benchmark": f"export tickets CSV ({export['rows']:,} rows)",
            "value": export["peak_rss_mib"],
            "unit": (
                f"MiB peak RSS, {export['seconds']:.0f} s, {export['mib_written']:.0f} MiB written"
            ),
            "reference": f"same process before the export {export['rss_before_mib']:.0f} MiB",
            **export,
        }
    )
    return rows


def _window(days: int) -> dict:
    from datetime import date, timedelta

    today = date.today()
    return {"since": (today - timedelta(days=days - 1)).isoformat(), "until": today.isoformat()}


if __name__ == "__main__":
    if "--export-child" in sys.argv:
        _export_child()
    else:
        for row in run():
            print(row)
