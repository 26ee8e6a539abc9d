"""What one email costs in SQL through intake (store the row, then process it: parse, customer,
thread, ticket or message, the row's state), per kind of message, in the steady state of a
worker (caches warm): pinned, so a change that adds round trips to the hot path is noticed.

Every statement counts, savepoints included (each is a round trip). The ticket's own part
(tickets.services.ticket_create and its subscribers) is pinned in tests/tickets/test_create_cost.py;
a cheaper create lowers these figures, which are upper bounds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.channels.email.parse import dedupe_key
from tickets.channels.intake import intake_store
from tickets.channels.models import InboundState
from tickets.channels.processing import intake_process
from tickets.models import Message, Ticket

from .mails import BOUNCE, OUTLOOK_REPLY_CP1252, PDF, build, out_of_office

pytestmark = pytest.mark.django_db

# Statements per message kind (store: 1 INSERT ... ON CONFLICT DO NOTHING; process: lock the
# row, find the customer, then the ticket or the message, then the row's state).
# Before (main at 7741fbf, the same messages): 24, 24, 24, 25, 25, 10, 10; main at fdeb949:
# 15, 15, 15, 16, 16, 9, 9. The customer and ticket services join the row's transaction
# (core.transactions.savepoints_joined): no SAVEPOINT/RELEASE pair around either.
PINNED = {
    # the ticket, its message, its thread and its audit event in one statement
    # (rows.insert_with)
    "new": 8,
    "new, HTML only": 8,
    "new, windows-1252": 8,
    "new, with a PDF": 9,
    # the customer and its identity in one statement, the follow-up rules cached (18 before)
    "new, from a new sender": 12,
    "reply": 12,  # no savepoint: a closed ticket refuses having written nothing
    "auto-reply": 9,  # in a test, BEGIN/COMMIT are savepoints: 5 round trips in production
    "bounce": 9,
}


def _intake(channel, raw: bytes) -> tuple[list[str], object]:
    """Store and process one email as a worker does; the SQL it ran and the row."""
    with CaptureQueriesContext(connection) as queries:
        row, created = intake_store(channel=channel, dedupe_key=dedupe_key(raw), raw_bytes=raw)
        assert created
        row = intake_process(row.pk)
    return [q["sql"] for q in queries.captured_queries], row


def _messages() -> dict[str, bytes]:
    return {
        "new": build(message_id="<n1@mail.example.com>", html="<p>Hello</p>"),
        "new, HTML only": build(
            message_id="<n2@mail.example.com>", text="<p>Only <b>HTML</b></p>"
        ).replace(b"text/plain", b"text/html"),
        "new, windows-1252": OUTLOOK_REPLY_CP1252.replace(b" [#TICKET]", b"").replace(
            b"juergen@example.de", b"kim@example.com"
        ),
        "new, with a PDF": build(
            message_id="<n3@mail.example.com>",
            attachments=[("invoice.pdf", PDF, "application/pdf")],
        ),
        "new, from a new sender": build(
            message_id="<n4@mail.example.com>", sender="Ada Newcomer <ada@newcomer.example>"
        ),
        "reply": build(
            message_id="<r1@mail.example.com>",
            subject="Re: Order 1042 arrived damaged",
            text="One more thing.\n\nOn Mon, Acme wrote:\n> Hello",
            in_reply_to="<n1@mail.example.com>",
            references="<n1@mail.example.com>",
        ),
        "auto-reply": out_of_office(),
        "bounce": BOUNCE,
    }


def test_intake_costs_a_pinned_number_of_statements_per_kind_of_email(email_channel, settings):
    # Caches warm, and the sender known (the steady state: most mail is from customers we know).
    _intake(email_channel, build(message_id="<warm@mail.example.com>"))
    costs, rows = {}, {}
    for kind, raw in _messages().items():
        statements, rows[kind] = _intake(email_channel, raw)
        costs[kind] = len(statements)
        assert costs[kind] <= PINNED[kind], f"{kind}:\n" + "\n".join(s[:100] for s in statements)
    # ...and each did what it is for: the cheap path is the whole behaviour.
    assert rows["reply"].ticket == rows["new"].ticket
    assert rows["reply"].ticket.messages.count() == 2
    assert rows["new, with a PDF"].message.attachments.count() == 1
    assert "Grüße" in rows["new, windows-1252"].message.body_text
    assert "HTML" in rows["new, HTML only"].message.body_text
    for kind in ("auto-reply", "bounce"):
        assert rows[kind].state == InboundState.IGNORED
        assert rows[kind].ticket is None
    assert rows["new, from a new sender"].ticket.requester.name == "Ada Newcomer"
    assert list(rows["new, from a new sender"].ticket.requester.identities.values_list("value"))
    assert Ticket.objects.count() == 6  # warm-up + five new conversations
    assert Message.objects.count() == 7
