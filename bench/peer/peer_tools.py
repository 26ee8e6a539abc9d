"""The peer's side of the bench: runs inside django-helpdesk's own virtualenv and project
(copied there as peer_site/tools.py by bench/peer/project.py). `python -m peer_site.tools OP`
prints one JSON line. Not imported by our code."""

import json
import os
import sys
import time
from collections import Counter
from contextlib import contextmanager

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


@contextmanager
def counting():
    """Counts every statement sent (CaptureQueriesContext keeps only the last 9,000)."""
    counter = Counter()

    def wrapper(execute, sql, params, many, context):
        counter["statements"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


DUE = 1000


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def seed(tickets):
    """A staff user with a token, one queue (escalation after 1 day, a local mailbox), and
    `tickets` open tickets with their opening follow-up; the first DUE are due to escalate."""
    from django.contrib.auth import get_user_model
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(
        username="bench",
        defaults={"is_staff": True, "is_superuser": True, "email": "agent@peer.test"},
    )
    token, _ = Token.objects.get_or_create(user=user)
    queue, _ = Queue.objects.get_or_create(
        slug="bench",
        defaults={
            "title": "Bench",
            "email_address": "bench@acme.test",
            "escalate_days": 1,
            "allow_email_submission": True,
            "email_box_type": "local",
            "email_box_interval": 0,
        },
    )
    have = _sql("SELECT count(*) FROM helpdesk_ticket")[0][0]
    if have != tickets:  # a previous run's creates and intake: start again from the seed
        _sql("TRUNCATE helpdesk_ticket CASCADE")
        have = 0
    if have < tickets:
        _sql(
            """
            INSERT INTO helpdesk_ticket (title, created, modified, submitter_email, status,
                on_hold, description, resolution, priority, last_escalation, queue_id,
                secret_key)
            SELECT CASE WHEN g <= %(due)s THEN 'Bench due ' ELSE 'Bench ticket ' END || g,
                now() - (g %% 10000) * interval '1 minute', now(),
                'customer' || (g %% 1000) || '@example.com', 1, false,
                'The parcel arrived damaged; please help.', '',
                CASE WHEN g <= %(due)s THEN 3 ELSE 2 + g %% 4 END,
                CASE WHEN g <= %(due)s THEN now() - interval '2 days' ELSE now() END,
                %(queue)s, md5(random()::text)::uuid::text
            FROM generate_series(%(first)s, %(last)s) AS g
            """,
            {"due": DUE if have == 0 else 0, "queue": queue.pk, "first": have + 1, "last": tickets},
        )
        _sql(
            """
            INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, new_status,
                message_id, time_spent)
            SELECT t.id, t.created, 'Ticket Opened', t.description, true, NULL, NULL, NULL
            FROM helpdesk_ticket t
            WHERE NOT EXISTS (SELECT 1 FROM helpdesk_followup f WHERE f.ticket_id = t.id)
            """
        )
        _sql("ANALYZE")
    reset_escalation()
    count = _sql("SELECT count(*) FROM helpdesk_ticket")[0][0]
    return {"token": token.key, "queue": queue.pk, "tickets": count}


def reset_escalation():
    _sql(
        "DELETE FROM helpdesk_ticketchange WHERE followup_id IN "
        "(SELECT id FROM helpdesk_followup WHERE title = 'Ticket Escalated')"
    )
    _sql("DELETE FROM helpdesk_followup WHERE title = 'Ticket Escalated'")
    _sql(
        "UPDATE helpdesk_ticket SET last_escalation = now() - interval '2 days', priority = 3 "
        "WHERE title LIKE 'Bench due %%'"
    )
    due = _sql("SELECT count(*) FROM helpdesk_ticket WHERE title LIKE 'Bench due %%'")[0][0]
    return {"due": due}


def escalate():
    """`manage.py escalate_tickets` in this process: its time and its statements."""
    with counting() as queries:
        started = time.perf_counter()
        call_command("escalate_tickets")
        seconds = time.perf_counter() - started
    escalated = _sql("SELECT count(*) FROM helpdesk_followup WHERE title = 'Ticket Escalated'")
    return {"seconds": seconds, "statements": queries["statements"], "handled": escalated[0][0]}


def _not_utf8(path) -> bool:
    try:
        with open(path, "rb") as f:
            f.read().decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def get_email(directory):
    """`manage.py get_email` over the local mailbox `directory`: time, statements, outcome.

    Its local mailbox reads each file as text in the locale's encoding (UTF-8), so the first
    message in another 8-bit charset raises and ends the whole run, leaving the rest unread.
    As an operator would, this moves such messages aside (counted as `refused`) and runs
    get_email again, until none is left: the time and statements are those of the runs."""
    from helpdesk.email import process_email
    from helpdesk.models import Queue

    Queue.objects.filter(slug="bench").update(
        email_box_local_dir=directory, email_box_last_check=None
    )
    before = _sql(
        "SELECT (SELECT count(*) FROM helpdesk_ticket), (SELECT max(id) FROM helpdesk_followup)"
    )[0]
    files = len(os.listdir(directory))
    aside = os.path.join(os.path.dirname(os.path.abspath(directory)), "refused")
    os.makedirs(aside, exist_ok=True)
    refused, runs, seconds = 0, 0, 0.0
    with counting() as queries:
        while True:
            started = time.perf_counter()
            process_email(quiet=True)
            seconds += time.perf_counter() - started
            runs += 1
            stuck = [
                name for name in os.listdir(directory) if _not_utf8(os.path.join(directory, name))
            ]
            if not stuck:
                break
            for name in stuck:
                os.replace(os.path.join(directory, name), os.path.join(aside, name))
            refused += len(stuck)
    tickets = _sql("SELECT count(*) FROM helpdesk_ticket")[0][0] - before[0]
    followups = _sql("SELECT count(*) FROM helpdesk_followup WHERE id > %s", [before[1] or 0])
    return {
        "seconds": seconds,
        "statements": queries["statements"],
        "messages": files - refused,  # the messages its runs went through
        "refused": refused,
        "runs": runs,
        "left_in_mailbox": len(os.listdir(directory)),
        "tickets_created": tickets,
        "followups_created": followups[0][0],
    }


def statements(token):
    """Statements of one API list (first page) and one API create, through the full stack."""
    from django.test import Client
    from django.test.utils import setup_test_environment
    from helpdesk.models import Queue

    setup_test_environment()
    client = Client(headers={"Authorization": f"Token {token}"})
    queue = Queue.objects.get(slug="bench")
    client.get("/api/tickets/")
    with counting() as listing:
        started = time.perf_counter()
        response = client.get("/api/tickets/")
        list_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    assert len(response.json()["results"]) == 25, "the first page is not full"
    body = {
        "queue": queue.pk,
        "title": "Statement count",
        "description": "The parcel arrived damaged; please help.",
        "submitter_email": "bench1@example.com",
        "priority": 3,
    }
    client.post("/api/tickets/", body, content_type="application/json")  # as ours: warm
    with counting() as create:
        response = client.post("/api/tickets/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    return {"list": listing["statements"], "list_ms": list_ms, "create": create["statements"]}


if __name__ == "__main__":
    operations = {
        "seed": lambda: seed(int(sys.argv[2])),
        "reset_escalation": reset_escalation,
        "escalate": escalate,
        "get_email": lambda: get_email(sys.argv[2]),
        "statements": lambda: statements(sys.argv[2]),
    }
    print(json.dumps(operations[sys.argv[1]]()))
