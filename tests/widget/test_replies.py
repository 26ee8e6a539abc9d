"""An agent's reply to a widget visitor (the "chat" outbox transport): to the widget when it
is connected (presence), by email when it is not and the visitor left one, and never counted
as sent when neither happened. The transcript goes by email too. A real SMTP server
(aiosmtpd) takes the mails."""

from __future__ import annotations

import email
from email import policy

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from live import groups
from outbox.models import OutboxMessage, State
from outbox.services import outbox_sweep
from tickets.models import Ticket
from tickets.services import ticket_reply
from widget import presence, tokens

pytestmark = pytest.mark.django_db


def _conversation(visitor, capture, text="Where is my order?"):
    with capture(execute=True):
        visitor.say(text)
    return Ticket.objects.get(), tokens.read(visitor.token).thread_id


def _reply(ticket, agent, capture, body="It left today."):
    with capture(execute=True):
        message = ticket_reply(ticket=ticket, author=agent, body=body)
    return OutboxMessage.objects.get(message=message)


def _listen(thread_id: int):
    """A socket of the visitor's group on the real channel layer (Redis)."""
    layer = get_channel_layer()
    name = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(groups.visitor(thread_id), name)
    return layer, name


def test_reply_reaches_a_connected_widget(
    visitor, online, agent, django_capture_on_commit_callbacks
):
    visitor.start()
    ticket, thread_id = _conversation(visitor, django_capture_on_commit_callbacks)
    layer, socket = _listen(thread_id)
    presence.arrive(thread_id, socket)

    row = _reply(ticket, agent, django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.transport, row.state) == ("chat", State.SENT)
    assert row.provider_id.startswith(f"socket:{thread_id}:")
    received = async_to_sync(layer.receive)(socket)
    assert received["event"]["type"] == "message"
    assert received["event"]["message"]["body"] == "It left today."
    assert received["event"]["message"]["author"] == "agent"


def test_offline_visitor_with_an_email_is_answered_by_email(
    visitor, agent, email_channel, smtp_server, django_capture_on_commit_callbacks
):
    visitor.start(email="kim@example.com")  # nobody online: the widget asked for an email
    ticket, thread_id = _conversation(visitor, django_capture_on_commit_callbacks)
    assert not presence.connected(thread_id)

    row = _reply(ticket, agent, django_capture_on_commit_callbacks, body="We answer by email.")

    row.refresh_from_db()
    assert row.state == State.SENT
    assert row.provider_id.startswith("email:")
    [raw] = smtp_server.received
    mail = email.message_from_bytes(raw, policy=policy.default)
    assert mail["To"] == "kim@example.com"
    assert mail["From"] == "Acme <support@acme.test>"
    assert f"[#{ticket.pk}]" in mail["Subject"]
    assert "We answer by email." in mail.get_body(("plain",)).get_content()


def test_offline_visitor_without_an_email_is_never_counted_as_reached(
    visitor, online, agent, settings, django_capture_on_commit_callbacks
):
    visitor.start()
    ticket, _ = _conversation(visitor, django_capture_on_commit_callbacks)

    row = _reply(ticket, agent, django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert row.state == State.QUEUED  # the visitor may come back: tried again later
    assert row.sent_at is None
    assert "not connected to the chat and left no email" in row.error
    settings.OUTBOX_MAX_ATTEMPTS = 2
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    outbox_sweep()
    row.refresh_from_db()
    assert row.state == State.FAILED
    assert row.sent_at is None


def test_a_socket_that_left_is_not_present(visitor, online, django_capture_on_commit_callbacks):
    visitor.start()
    _, thread_id = _conversation(visitor, django_capture_on_commit_callbacks)
    presence.arrive(thread_id, "socket-a")
    presence.arrive(thread_id, "socket-b")
    presence.leave(thread_id, "socket-a")
    assert presence.connected(thread_id)
    presence.leave(thread_id, "socket-b")
    assert not presence.connected(thread_id)


def test_presence_runs_out_without_a_heartbeat(
    visitor, online, settings, django_capture_on_commit_callbacks
):
    visitor.start()
    _, thread_id = _conversation(visitor, django_capture_on_commit_callbacks)
    settings.CHAT_PRESENCE_TTL_SECONDS = 30
    presence.arrive(thread_id, "socket-a")  # its process died: no disconnect ever comes
    with _later(31):
        assert not presence.connected(thread_id)


def _later(seconds: float):
    import time
    from unittest import mock

    now = time.time()
    return mock.patch("widget.presence.time.time", return_value=now + seconds)


def test_transcript_is_emailed_to_the_visitor(
    visitor, online, agent, email_channel, smtp_server, django_capture_on_commit_callbacks
):
    visitor.start()
    ticket, _ = _conversation(visitor, django_capture_on_commit_callbacks, text="Size of box?")
    presence.arrive(tokens.read(visitor.token).thread_id, "socket")
    _reply(ticket, agent, django_capture_on_commit_callbacks, body="40 x 30 cm.")

    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post("transcript/?lang=ru", {"email": "kim@example.com"})
    assert response.status_code == 202, response.content

    row = OutboxMessage.objects.get(source__startswith="chat-transcript:")
    assert (row.transport, row.state, row.recipient) == ("email", State.SENT, "kim@example.com")
    [raw] = smtp_server.received
    mail = email.message_from_bytes(raw, policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    assert "Size of box?" in text
    assert "40 x 30 cm." in text
    assert agent.display_name in text


def test_transcript_needs_a_valid_email(visitor, online, django_capture_on_commit_callbacks):
    from tests.conftest import assert_error

    visitor.start()
    _conversation(visitor, django_capture_on_commit_callbacks)
    assert_error(visitor.post("transcript/", {"email": "nope"}), 400, field="email")
    assert not OutboxMessage.objects.filter(source__startswith="chat-transcript:").exists()
