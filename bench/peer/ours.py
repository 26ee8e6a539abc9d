"""Our side of the peer bench, run as `python -m bench.peer.ours OP ...` in a fresh process
(Django set up against the benchmark database): the same operations as the peer's
peer_tools.py, printing one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DUE = 1000


@contextmanager
def counting() -> Iterator[Counter]:
    """Counts every statement sent (CaptureQueriesContext keeps only the last 9,000)."""
    from django.db import connection

    counter: Counter = Counter()

    def wrapper(execute, sql, params, many, context):
        counter["statements"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


CUSTOMERS = 1000  # the peer's tickets have 1,000 distinct submitters too


def _sql(statement: str, params: dict | list | tuple = ()) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def seed(tickets: int) -> dict:
    """Production defaults (a default team, a default SLA policy) and `tickets` open tickets
    with their first message and a running resolution clock; the first DUE are past due."""
    from django.db import connection

    from customers.models import Customer
    from tickets.models import Message, Ticket

    from .. import seed as bench_seed

    world = bench_seed.production_defaults()
    have = _sql("SELECT count(*) FROM tickets_ticket")[0][0]
    if have != tickets:  # a previous run's creates and intake: start again from the seed
        _sql(
            "TRUNCATE slas_slaclock, tickets_ticketevent, tickets_message, tickets_ticket, "
            "customers_customer CASCADE"
        )
        have = 0
    if have < tickets:
        with connection.cursor() as cursor:
            if _sql("SELECT count(*) FROM customers_customer")[0][0] < CUSTOMERS:
                bench_seed.insert_series(
                    cursor, Customer, count=CUSTOMERS, values={"name": "'Bench customer ' || g"}
                )
            first = _sql("SELECT min(id) FROM customers_customer")[0][0]
            top = _sql("SELECT coalesce(max(id), 0) FROM tickets_ticket")[0][0]
            due = DUE if have == 0 else 0
            bench_seed.insert_series(
                cursor,
                Ticket,
                count=tickets - have,
                values={
                    "subject": f"CASE WHEN g <= {due} THEN 'Bench due ' "
                    "ELSE 'Bench ticket ' END || g",
                    "status": "'open'",
                    "priority": "1 + g %% 4",
                    "channel": "'email'",
                    "requester_id": "%(first)s + g %% %(customers)s",
                    "team_id": "%(team)s",
                    "created_at": "now() - (g %% 10000) * interval '1 minute'",
                    "next_due_at": f"CASE WHEN g <= {due} "
                    "THEN now() - interval '1 hour' + g * interval '1 second' "
                    "ELSE now() + interval '1 hour' + (g %% 10000) * interval '1 minute' END",
                },
                params={"first": first, "customers": CUSTOMERS, "team": world["team"].pk},
            )
            bench_seed.insert_series(
                cursor,
                Message,
                count=0,
                values={
                    "ticket_id": "t.id",
                    "author_customer_id": "t.requester_id",
                    "direction": "'inbound'",
                    "channel": "'email'",
                    "body_text": "'The parcel arrived damaged; please help.'",
                    "created_at": "t.created_at",
                },
                params={"top": top},
                source="FROM tickets_ticket t WHERE t.id > %(top)s",
            )
            cursor.execute(
                """
                INSERT INTO slas_slaclock (ticket_id, metric, policy_id, target_minutes,
                    business_hours, started_at, segment_started_at, consumed_minutes, due_at,
                    warn_at, warned_at, escalation_level, updated_at)
                SELECT id, 'resolution', %s, 600, false, created_at, created_at, 0, next_due_at,
                    next_due_at - interval '150 minutes',
                    CASE WHEN next_due_at < now() THEN now() END, 0, now()
                FROM tickets_ticket WHERE id > %s
                """,
                [world["policy"].pk, top],
            )
            cursor.execute("ANALYZE")
    reset()
    return {
        "tickets": _sql("SELECT count(*) FROM tickets_ticket")[0][0],
        "agent_token": _agent_token(world["team"]),
    }


def _agent_token(team) -> str:
    """A token of an agent of the default team (who lists every seeded ticket, as the peer's
    staff user does)."""
    from accounts.models import Role, User
    from accounts.services import api_token_create

    agent = User.objects.filter(username="bench-agent").first()
    if agent is None:
        agent = User.objects.create(username="bench-agent", role=Role.AGENT)
    team.members.add(agent)
    return api_token_create(user=agent, name="bench")[1]


def reset() -> dict:
    """The due clocks back to due (what sla bench's reset does)."""
    _sql(
        "UPDATE slas_slaclock SET breached_at = NULL, next_escalation_at = NULL "
        "WHERE breached_at IS NOT NULL"
    )
    _sql("DELETE FROM tickets_ticketevent WHERE kind LIKE 'sla.%%'")
    _sql("TRUNCATE followups_poorexperience, followups_customerhealth CASCADE")
    return {"due": _sql("SELECT count(*) FROM slas_slaclock WHERE due_at <= now()")[0][0]}


def sweep() -> dict:

    from slas.sweeps import sla_sweep

    with counting() as queries:
        started = time.perf_counter()
        done = sla_sweep()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "statements": queries["statements"], "handled": done["breaches"]}


def intake(directory: str) -> dict:
    """The messages of `directory` through our intake, as a door and a worker run it: store
    the raw row and commit, then the queued processing (Celery eager) right after."""
    from django.db.models import Count

    from tickets.channels.models import InboundMessage

    from ..email_intake import bench_mailbox, store

    channel = bench_mailbox()
    files = sorted(Path(directory).iterdir())
    before = _sql("SELECT coalesce(max(id), 0) FROM tickets_inboundmessage")[0][0]
    with counting() as queries:
        started = time.perf_counter()
        for path in files:
            store(channel, path.read_bytes())
        seconds = time.perf_counter() - started
    states = dict(
        InboundMessage.objects.filter(id__gt=before).values_list("state").annotate(n=Count("id"))
    )
    return {
        "seconds": seconds,
        "statements": queries["statements"],
        "messages": len(files),
        "states": states,
    }


def statements(token: str, agent_token: str) -> dict:
    """Statements of one API list (first page, as the agent) and one API create (as the
    integration, after one to warm the caches), through the full stack."""
    import uuid

    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    client = Client(headers={"Authorization": f"Token {token}"})
    agent = Client(headers={"Authorization": f"Token {agent_token}"})
    agent.get("/api/v1/tickets/")
    with counting() as listing:
        started = time.perf_counter()
        response = agent.get("/api/v1/tickets/")
        list_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    assert len(response.json()["results"]) == 25, "the agent's first page is not full"
    body = {
        "subject": "Statement count",
        "body": "The parcel arrived damaged; please help.",
        "requester": {"email": "bench1@example.com", "name": "Bench"},
    }

    def create():
        return client.post(
            "/api/v1/tickets/",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )

    create()  # the first create of a process fills the per-process caches
    with counting() as creating:
        response = create()
    assert response.status_code == 201, response.content[:300]
    clocks = _sql(
        "SELECT count(*) FROM slas_slaclock WHERE ticket_id = %s", [response.json()["id"]]
    )[0][0]
    return {
        "list": listing["statements"],
        "list_ms": list_ms,
        "create": creating["statements"],
        "clocks": clocks,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    operations = {
        "seed": lambda: seed(int(sys.argv[2])),
        "reset": reset,
        "sweep": sweep,
        "intake": lambda: intake(sys.argv[2]),
        "statements": lambda: statements(sys.argv[2], sys.argv[3]),
    }
    print(json.dumps(operations[sys.argv[1]](), default=str))
