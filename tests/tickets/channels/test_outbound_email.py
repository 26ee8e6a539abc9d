"""Agents' public replies on email tickets go out by email (outbox rows), threaded, with
the sent Message-ID stored (the SMTP behaviour itself: tests/outbox/test_email_transport.py)."""

from __future__ import annotations

import pytest

from core.errors import UndeliverableError
from outbox.models import OutboxMessage as OutboundEmail
from outbox.models import State as OutboundState
from tickets.services import system_message_add, ticket_reply

from . import mails
from .conftest import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_ticket(email_channel, django_capture_on_commit_callbacks):
    return deliver(email_channel, mails.build(), django_capture_on_commit_callbacks).ticket


def reply(ticket, agent, capture, **kwargs):
    with capture(execute=True):
        return ticket_reply(ticket=ticket, author=agent, **kwargs)


def test_public_reply_is_sent_threaded(
    email_ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    message = reply(
        email_ticket, agent, django_capture_on_commit_callbacks, body="A new box is on its way."
    )
    [sent] = mailoutbox
    outbound = OutboundEmail.objects.get(message=message)
    assert outbound.state == OutboundState.SENT
    assert sent.to == ["kim@example.com"]
    assert sent.from_email == "Acme <support@acme.test>"
    assert sent.subject == f"Re: Order 1042 arrived damaged [#{email_ticket.pk}]"
    headers = sent.extra_headers
    assert headers["Message-ID"] == f"<{outbound.provider_id}>"
    assert headers["In-Reply-To"] == "<m1@mail.example.com>"
    assert headers["References"] == "<m1@mail.example.com>"
    assert "Auto-Submitted" not in headers
    message.refresh_from_db()
    assert message.external_id == outbound.provider_id
    assert outbound.provider_id.endswith("@acme.test")


def test_internal_note_is_not_sent(
    email_ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    reply(email_ticket, agent, django_capture_on_commit_callbacks, body="note", public=False)
    assert mailoutbox == []
    assert OutboundEmail.objects.count() == 0


def test_system_message_is_sent_marked_automatic(
    email_ticket, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        system_message_add(ticket=email_ticket, body="Your plan covers email and the portal.")
    [sent] = mailoutbox
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"


def test_reply_to_a_customer_without_email_is_refused_and_writes_nothing(
    agent, mailoutbox, django_capture_on_commit_callbacks
):
    from customers.services import IdentityInput, customer_create
    from tickets.services import ticket_create

    caller = customer_create(identities=[IdentityInput("phone", "+442079460958")])
    ticket = ticket_create(requester=caller, subject="Call", body="x", channel="email")
    with pytest.raises(UndeliverableError):
        reply(ticket, agent, django_capture_on_commit_callbacks, body="Hello")
    assert not ticket.messages.filter(body_text="Hello").exists()
    assert OutboundEmail.objects.filter(purpose="reply").count() == 0
    assert mailoutbox == []
