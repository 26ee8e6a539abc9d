"""Attempts queued together (outbox_enqueue_many(per_task=...) -> outbox.send_many): fewer
broker messages, each row still attempted, claimed and recorded on its own."""

from __future__ import annotations

import pytest
from django.core import mail

from outbox import email as email_transport
from outbox.models import OutboxMessage, State
from outbox.services import outbox_enqueue_many
from outbox.tasks import send_many

pytestmark = pytest.mark.django_db


def _rows(recipients: list[str]) -> list[OutboxMessage]:
    return [
        OutboxMessage(
            transport="email",
            purpose="notification",
            recipient=recipient,
            payload=email_transport.envelope(
                sender="help@acme.example", subject="s", body="b", message_id=f"m{i}@acme.example"
            ),
        )
        for i, recipient in enumerate(recipients)
    ]


def test_rows_are_queued_per_task_and_each_is_sent_or_fails_alone(
    django_capture_on_commit_callbacks,
):
    recipients = ["a@example.com", "not-an-address", "c@example.com"]
    with django_capture_on_commit_callbacks() as callbacks:
        rows = outbox_enqueue_many(_rows(recipients), per_task=2)
    assert len(callbacks) == 2  # two Celery messages for three rows
    send_many([row.pk for row in rows])
    states = dict(OutboxMessage.objects.values_list("recipient", "state"))
    assert states == {
        "a@example.com": State.SENT,
        "not-an-address": State.FAILED,
        "c@example.com": State.SENT,
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "c@example.com"]
    send_many([row.pk for row in rows])  # a second delivery of the message sends nothing again
    assert len(mail.outbox) == 2


def test_many_rows_are_stored_as_given_each_under_the_id_it_got_back():
    recipients = [f"r{i}@example.com" for i in range(30)]
    given = _rows(recipients)
    for i, row in enumerate(given):
        row.source, row.provider_id, row.channel = f"test:{i}", f"m{i}@acme.example", "email"
        row.payload["body"] = f'line "{i}"\n\\ {{x}}'  # quotes, backslash, braces, newline
    rows = outbox_enqueue_many(given)
    stored = {row.pk: row for row in OutboxMessage.objects.all()}
    assert len(stored) == 30
    for i, row in enumerate(rows):
        found = stored[row.pk]
        assert (found.recipient, found.source, found.provider_id, found.channel) == (
            recipients[i],
            f"test:{i}",
            f"m{i}@acme.example",
            "email",
        )
        assert found.payload == row.payload
        assert found.payload["body"] == f'line "{i}"\n\\ {{x}}'
        assert (found.state, found.attempts, found.error, found.message_id) == (
            State.QUEUED,
            0,
            "",
            None,
        )
        assert found.next_attempt_at == row.next_attempt_at
        assert found.created_at == row.created_at is not None
