"""The outbox against a real SMTP server: a 451 is transient (retried after the backoff, same
Message-ID), a 550 permanent (failed at once, never retried, the failure announced)."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine

from core import events
from outbox.models import OutboxMessage, State
from outbox.services import outbox_retry
from outbox.tasks import sweep
from tests.tickets.channels import mails
from tests.tickets.channels.conftest import deliver
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_ticket(email_channel, django_capture_on_commit_callbacks):
    return deliver(email_channel, mails.build(), django_capture_on_commit_callbacks).ticket


def _reply(ticket, agent, capture, body="Sorted!") -> OutboxMessage:
    with capture(execute=True):  # the attempt right after commit
        message = ticket_reply(ticket=ticket, author=agent, body=body)
    return OutboxMessage.objects.get(message=message)


def test_451_is_retried_after_the_backoff_then_sent_with_the_same_message_id(
    email_ticket, agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.replies = ["451 4.3.0 Try again later"]
    row = _reply(email_ticket, agent, django_capture_on_commit_callbacks)
    assert (row.state, row.attempts, row.last_status) == (State.QUEUED, 1, 451)
    assert "451" in row.error
    assert sweep() == 0  # not due before its backoff
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert sweep() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error) == (State.SENT, 2, "")
    assert row.sent_at is not None
    [raw] = smtp_server.received
    received = message_from_bytes(raw, policy=policy.default)
    assert received["Message-ID"] == f"<{row.provider_id}>"
    assert received["In-Reply-To"] == "<m1@mail.example.com>"
    assert received.get_body(("plain",)).get_content().strip() == "Sorted!"


def test_550_is_permanent_not_retried_and_announced(
    email_ticket, agent, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.replies = ["550 5.1.1 User unknown"]
    seen: list[events.DomainEvent] = []
    events.subscribe(events.MESSAGE_DELIVERY_FAILED, seen.append)
    try:
        row = _reply(email_ticket, agent, django_capture_on_commit_callbacks)
    finally:
        events.unsubscribe(events.MESSAGE_DELIVERY_FAILED, seen.append)
    assert (row.state, row.attempts, row.last_status) == (State.FAILED, 1, 550)
    assert "User unknown" in row.error
    assert row.next_attempt_at is None
    with time_machine.travel(row.updated_at + timedelta(days=1)):
        assert sweep() == 0
    assert smtp_server.attempts == 1
    [event] = seen
    assert event.message == row.message
    assert event.data["error"] == row.error

    outbox_retry(row=row)  # someone fixed the address: the same envelope goes again
    assert sweep() == 1
    row.refresh_from_db()
    assert row.state == State.SENT
    assert smtp_server.attempts == 2


def test_an_invalid_address_is_permanent_without_talking_to_the_server(smtp_server, db):
    from outbox import email as email_transport
    from outbox.services import outbox_enqueue

    row = outbox_enqueue(
        transport="email",
        purpose="notification",
        recipient="not-an-address",
        payload=email_transport.envelope(
            sender="a@b.example", subject="s", body="b", message_id="x@b.example"
        ),
    )
    assert sweep() == 1
    row.refresh_from_db()
    assert row.state == State.FAILED
    assert "invalid address" in row.error
    assert smtp_server.attempts == 0
