"""Email through the pipeline: store raw, process, thread; bounces and duplicates create
nothing; failures stay on the row and can be reprocessed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from tickets.channels.email.parse import dedupe_key
from tickets.channels.intake import intake_store
from tickets.channels.models import InboundMessage, InboundState
from tickets.channels.processing import intake_process
from tickets.models import Attachment, Message, Ticket
from tickets.services import ticket_reply, ticket_update

from . import mails
from .conftest import deliver, failed_row

pytestmark = pytest.mark.django_db


def test_new_email_opens_a_ticket_with_attachments(
    email_channel, django_capture_on_commit_callbacks
):
    raw = mails.build(
        html="<p>the box was <b>crushed</b></p>",
        inline_png_cid="photo@kim",
        attachments=[("invoice.pdf", mails.PDF, "application/pdf")],
    )
    row = deliver(email_channel, raw, django_capture_on_commit_callbacks)
    assert row.state == InboundState.PROCESSED, row.error
    ticket = row.ticket
    assert ticket.subject == "Order 1042 arrived damaged"
    assert ticket.channel == "email"
    assert ticket.requester.primary_email == "kim@example.com"
    assert ticket.requester.name == "Kim Lee"
    message = ticket.messages.get()
    assert message.external_id == "m1@mail.example.com"
    assert "<b>crushed</b>" in message.body_html
    files = {a.filename: a for a in message.attachments.all()}
    assert files["invoice.pdf"].content_type == "application/pdf"
    assert files["invoice.pdf"].file.read() == mails.PDF
    assert any(a.content_id == "photo@kim" for a in files.values())


def test_reply_threads_by_in_reply_to(email_channel, django_capture_on_commit_callbacks):
    first = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    reply = mails.build(
        subject="Re: Order 1042 arrived damaged",
        text="Here is the order number: 1042.\n\nOn Mon, Kim wrote:\n> the box was crushed",
        message_id="<m2@mail.example.com>",
        in_reply_to="<m1@mail.example.com>",
        references="<m1@mail.example.com>",
    )
    second = deliver(email_channel, reply, django_capture_on_commit_callbacks)
    assert second.ticket_id == first.ticket_id
    assert Ticket.objects.count() == 1
    assert list(first.ticket.messages.values_list("body_text", flat=True)) == [
        "Hello,\n\nthe box was crushed.\n\nKim",
        "Here is the order number: 1042.",
    ]


def test_reply_to_our_outbound_email_threads_by_references(
    email_channel, agent, mailoutbox, django_capture_on_commit_callbacks
):
    row = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=row.ticket, author=agent, body="We will send a new one.")
    ours = mailoutbox[0].extra_headers["Message-ID"]
    reply = mails.build(
        subject="Re: something else entirely",
        message_id="<m3@mail.example.com>",
        references=f"<m1@mail.example.com> {ours}",
    )
    second = deliver(email_channel, reply, django_capture_on_commit_callbacks)
    assert second.ticket_id == row.ticket_id


def test_subject_token_threads_mail_from_the_requester(
    email_channel, django_capture_on_commit_callbacks
):
    first = deliver(
        email_channel,
        mails.build(sender="juergen@example.de", subject="Rückfrage zur Rechnung"),
        django_capture_on_commit_callbacks,
    )
    raw = mails.OUTLOOK_REPLY_CP1252.replace(b"[#TICKET]", f"[#{first.ticket_id}]".encode())
    second = deliver(email_channel, raw, django_capture_on_commit_callbacks)
    assert second.ticket_id == first.ticket_id
    assert second.message.body_text == "Grüße, die Rechnung ist jetzt „korrekt“ \u2013 danke!"


def test_subject_token_from_a_stranger_opens_a_new_ticket(
    email_channel, django_capture_on_commit_callbacks
):
    first = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    raw = mails.build(
        sender="mallory@evil.example",
        subject=f"Re: [#{first.ticket_id}] give me the data",
        message_id="<x@evil.example>",
    )
    second = deliver(email_channel, raw, django_capture_on_commit_callbacks)
    assert second.ticket_id != first.ticket_id
    assert first.ticket.messages.count() == 1


def test_reply_to_a_closed_ticket_opens_a_new_one(
    email_channel, agent, django_capture_on_commit_callbacks
):
    first = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    ticket_update(ticket=first.ticket, actor=agent, status="solved")
    ticket_update(ticket=Ticket.objects.get(pk=first.ticket_id), actor=agent, status="closed")
    reply = mails.build(message_id="<late@mail.example.com>", in_reply_to="<m1@mail.example.com>")
    second = deliver(email_channel, reply, django_capture_on_commit_callbacks)
    assert second.state == InboundState.PROCESSED
    assert second.ticket_id != first.ticket_id


@pytest.mark.parametrize("raw", [mails.BOUNCE, mails.out_of_office("<m1@mail.example.com>")])
def test_bounce_and_out_of_office_create_nothing(
    raw, email_channel, django_capture_on_commit_callbacks
):
    first = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    row = deliver(email_channel, raw, django_capture_on_commit_callbacks)
    assert row.state == InboundState.IGNORED
    assert row.error  # the reason is kept
    assert Ticket.objects.count() == 1
    assert first.ticket.messages.count() == 1


def test_duplicate_delivery_changes_nothing(email_channel, django_capture_on_commit_callbacks):
    raw = mails.build()
    first = deliver(email_channel, raw, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, created = intake_store(
            channel=email_channel, dedupe_key=dedupe_key(raw), raw_bytes=raw
        )
    assert not created
    assert again.pk == first.pk
    assert callbacks == []
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1


def test_oversize_attachment_is_withheld_and_the_email_still_becomes_a_ticket(
    email_channel, settings, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_MAX_BYTES = 1000
    raw = mails.build(attachments=[("big.pdf", mails.PDF * 100, "application/pdf")])
    row = deliver(email_channel, raw, django_capture_on_commit_callbacks)
    assert row.state == InboundState.PROCESSED
    assert "the box was crushed" in row.message.body_text
    assert Attachment.objects.count() == 0
    [withheld] = row.message.withheld_parts
    assert withheld["filename"] == "big.pdf"
    assert withheld["reason"] == "too_large"
    assert withheld["size"] == len(mails.PDF * 100)


def test_failed_row_is_reprocessed_by_the_command(email_channel):
    raw = mails.build(attachments=[("big.pdf", mails.PDF * 100, "application/pdf")])
    row = failed_row(email_channel, raw)
    call_command("reprocess_inbound", "--failed", "--now")
    row.refresh_from_db()
    assert row.state == InboundState.PROCESSED
    assert row.error == ""
    assert row.ticket.messages.get().attachments.count() == 1


class FlakyDatabase:
    """The database edge: the first `failures` ticket INSERTs fail as if the connection
    dropped (Django's execute_wrapper sits between our code and the driver)."""

    def __init__(self, failures: int):
        self.failures = failures

    def __call__(self, execute, sql, params, many, context):
        if self.failures and 'INSERT INTO "tickets_ticket"' in sql:
            self.failures -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


def test_transient_failure_is_retried_by_the_task(
    email_channel, eager_retries, django_capture_on_commit_callbacks
):
    raw = mails.build()
    with connection.execute_wrapper(FlakyDatabase(failures=2)):
        row = deliver(email_channel, raw, django_capture_on_commit_callbacks)
    assert row.state == InboundState.PROCESSED
    assert row.attempts == 3  # two failed attempts recorded, then success
    assert Ticket.objects.count() == 1


def test_transient_failure_fails_after_the_retries_are_spent(
    email_channel, settings, eager_retries, django_capture_on_commit_callbacks
):
    settings.INBOUND_MAX_RETRIES = 3
    with connection.execute_wrapper(FlakyDatabase(failures=100)):
        row = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    assert row.state == InboundState.FAILED
    assert row.attempts == 3
    assert "OperationalError" in row.error
    assert Ticket.objects.count() == 0


def test_processing_twice_is_harmless(email_channel, django_capture_on_commit_callbacks):
    row = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    intake_process(row.pk)
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1


def test_channel_tickets_are_announced_like_any_other_and_auto_replies_are_not(
    email_channel, django_capture_on_commit_callbacks
):
    """The SLA app (tier rule, clocks) listens to ticket.created: channel tickets must raise
    it, automatic mail must not."""
    from core import events

    seen = []

    def record(event):
        seen.append(event)

    events.subscribe(events.TICKET_CREATED, record)
    try:
        deliver(email_channel, mails.out_of_office(), django_capture_on_commit_callbacks)
        row = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    finally:
        events.unsubscribe(events.TICKET_CREATED, record)
    assert [e.ticket.pk for e in seen] == [row.ticket_id]
    assert seen[0].ticket.channel == "email"
