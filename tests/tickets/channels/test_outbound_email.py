"""Agents' public replies on email tickets go out by email, threaded, with the sent
Message-ID stored; transient SMTP failures are retried (checked against a real SMTP server)."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tickets.channels.models import OutboundEmail, OutboundState
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
    assert headers["Message-ID"] == f"<{outbound.header_message_id}>"
    assert headers["In-Reply-To"] == "<m1@mail.example.com>"
    assert headers["References"] == "<m1@mail.example.com>"
    assert "Auto-Submitted" not in headers
    message.refresh_from_db()
    assert message.external_id == outbound.header_message_id
    assert outbound.header_message_id.endswith("@acme.test")


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


def test_customer_without_email_fails_the_row_without_retrying(
    agent, mailoutbox, django_capture_on_commit_callbacks
):
    from customers.services import IdentityInput, customer_create
    from tickets.services import ticket_create

    caller = customer_create(identities=[IdentityInput("phone", "+442079460958")])
    ticket = ticket_create(requester=caller, subject="Call", body="x", channel="email")
    reply(ticket, agent, django_capture_on_commit_callbacks, body="Hello")
    outbound = OutboundEmail.objects.get()
    assert outbound.state == OutboundState.FAILED
    assert "no email address" in outbound.error
    assert mailoutbox == []


class FlakySmtpHandler:
    """A real SMTP server that answers 451 (try again later) to the first `failures` DATA."""

    def __init__(self, failures: int):
        self.failures = failures
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        if self.failures:
            self.failures -= 1
            return "451 4.3.0 Try again later"
        self.received.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = FlakySmtpHandler(failures=1)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    yield handler
    controller.stop()


def test_reply_through_a_real_smtp_server_is_retried_after_a_temporary_failure(
    email_ticket, agent, smtp_server, eager_retries, django_capture_on_commit_callbacks
):
    message = reply(email_ticket, agent, django_capture_on_commit_callbacks, body="Sorted!")
    outbound = OutboundEmail.objects.get(message=message)
    assert outbound.state == OutboundState.SENT
    assert outbound.attempts == 2
    [raw] = smtp_server.received
    received = message_from_bytes(raw, policy=policy.default)
    assert received["Message-ID"] == f"<{outbound.header_message_id}>"
    assert received["In-Reply-To"] == "<m1@mail.example.com>"
    assert received.get_body(("plain",)).get_content().strip() == "Sorted!"
