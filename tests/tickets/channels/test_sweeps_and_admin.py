"""Safety nets: rows whose Celery message was lost are picked up from the database; the
admin action reprocesses failed rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from outbox.models import OutboxMessage, State
from outbox.tasks import sweep as outbox_sweep
from tickets.channels.email.parse import dedupe_key
from tickets.channels.intake import intake_store
from tickets.channels.models import InboundMessage, InboundState
from tickets.services import ticket_reply
from tickets.tasks import sweep_inbound_messages

from . import mails
from .conftest import deliver, failed_row

pytestmark = pytest.mark.django_db


def test_inbound_row_whose_task_was_lost_is_processed_by_the_sweep(email_channel):
    raw = mails.build()
    # Stored, but the on-commit task never ran (broker down, worker lost the message).
    row, _ = intake_store(channel=email_channel, dedupe_key=dedupe_key(raw), raw_bytes=raw)
    assert sweep_inbound_messages() == 0  # too fresh: its task may still be on the way
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert sweep_inbound_messages() == 1
    row.refresh_from_db()
    assert row.state == InboundState.PROCESSED


def test_queued_reply_email_is_sent_by_the_outbox_sweep(
    email_channel, agent, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks).ticket
    ticket_reply(ticket=ticket, author=agent, body="Lost in the broker")  # on_commit not run
    assert mailoutbox == []
    assert outbox_sweep() == 1  # the row is due at once: the sweep is the only path needed
    assert OutboxMessage.objects.get().state == State.SENT
    assert len(mailoutbox) == 1
    assert outbox_sweep() == 0  # sent is sent


def test_admin_action_reprocesses_failed_rows(
    admin_client, email_channel, django_capture_on_commit_callbacks
):
    raw = mails.build(attachments=[("big.pdf", mails.PDF * 100, "application/pdf")])
    row = failed_row(email_channel, raw)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/tickets/inboundmessage/",
            {"action": "reprocess", "_selected_action": [row.pk]},
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.state == InboundState.PROCESSED
    assert InboundMessage.objects.count() == 1
