"""A desk reply's files reach a real SMTP server (aiosmtpd) as attachments of the email."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from outbox.models import OutboxMessage, State
from tests.desk.conftest import desk_client
from tests.factories import CustomerFactory
from tickets.models import Direction
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


def test_desk_reply_files_arrive_as_email_attachments(
    agent, team, email_channel, smtp_server, django_capture_on_commit_callbacks
):
    ticket = ticket_create(
        requester=CustomerFactory(email="kim@example.com"), subject="Label", body="x", team=team
    )
    label = SimpleUploadedFile("label.pdf", b"%PDF-1.4 return label", "application/pdf")
    with django_capture_on_commit_callbacks(execute=True):  # the send right after commit
        response = desk_client(agent).post(
            f"/desk/tickets/{ticket.pk}/reply/",
            {
                "body": "Label attached.",
                "visibility": "public",
                "version": ticket.version,
                "attachments": [label],
            },
        )
    assert response.status_code == 302
    reply = ticket.messages.get(direction=Direction.OUTBOUND)
    assert OutboxMessage.objects.get(message=reply).state == State.SENT
    [raw] = smtp_server.received
    received = message_from_bytes(raw, policy=policy.default)
    assert received["To"] == "kim@example.com"
    [part] = list(received.iter_attachments())
    assert part.get_filename() == "label.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.4 return label"
