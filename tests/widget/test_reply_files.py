"""An agent's files on a chat reply reach the widget visitor as signed links: in the socket
event and in the history, the same JSON; a link downloads that one file, and a tampered,
expired or internal note's link does not. A third-party chat provider's webhook cannot carry
files, so its route says so before anything is sent."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from outbox.models import OutboxMessage, State
from tickets.attachments import AttachmentInput
from tickets.channels.routing import reply_route
from tickets.models import Attachment, Ticket
from tickets.services import ticket_reply
from widget import files, presence, tokens

from .test_replies import _listen

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _invoice() -> AttachmentInput:
    return AttachmentInput(
        filename="invoice-1042.pdf", content=ContentFile(PDF), content_type="application/pdf"
    )


def _conversation(visitor, capture):
    visitor.start()
    with capture(execute=True):
        visitor.say("Can I have the invoice?")
    return Ticket.objects.get(), tokens.read(visitor.token).thread_id


def test_a_reply_with_a_file_reaches_the_widget_as_a_link_that_downloads_it(
    visitor, online, agent, django_capture_on_commit_callbacks
):
    ticket, thread_id = _conversation(visitor, django_capture_on_commit_callbacks)
    assert reply_route(ticket).carries_attachments
    layer, socket = _listen(thread_id)
    presence.arrive(thread_id, socket)
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(
            ticket=ticket, author=agent, body="Here it is.", attachments=[_invoice()]
        )
    assert OutboxMessage.objects.get(message=message).state == State.SENT

    event = async_to_sync(layer.receive)(socket)["event"]
    [sent] = event["message"]["attachments"]
    assert (sent["filename"], sent["size"]) == ("invoice-1042.pdf", len(PDF))
    history = visitor.get("history/").json()["messages"]
    assert history[-1]["attachments"][0]["filename"] == "invoice-1042.pdf"

    anyone = visitor.client.__class__()  # the link alone is the permission: no token, no session
    response = anyone.get(sent["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert 'attachment; filename="invoice-1042.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"

    assert anyone.get(sent["url"][:-3] + "xx/").status_code == 404  # tampered


def test_expired_links_and_internal_notes_files_are_refused(
    visitor, online, agent, django_capture_on_commit_callbacks, settings
):
    ticket, _ = _conversation(visitor, django_capture_on_commit_callbacks)
    note = ticket_reply(
        ticket=ticket, author=agent, body="Internal", public=False, attachments=[_invoice()]
    )
    note_file = Attachment.objects.get(message=note)
    assert visitor.client.get(files.file_url(note_file)).status_code == 404

    reply = ticket_reply(ticket=ticket, author=agent, body="Here.", attachments=[_invoice()])
    url = files.file_url(Attachment.objects.get(message=reply))
    assert visitor.client.get(url).status_code == 200
    settings.CHAT_FILE_LINK_MAX_AGE_DAYS = 0  # signed a moment ago: already older than that
    assert visitor.client.get(url).status_code == 404


def test_a_provider_webhook_chat_refuses_files_before_sending(
    visitor, online, agent, django_capture_on_commit_callbacks
):
    ticket, _ = _conversation(visitor, django_capture_on_commit_callbacks)
    channel = visitor.channel
    channel.settings = {**channel.settings, "webhook_url": "https://chat.example/hook"}
    channel.save()
    assert not reply_route(ticket).carries_attachments
    with pytest.raises(ValidationError) as refused:
        ticket_reply(ticket=ticket, author=agent, body="Here.", attachments=[_invoice()])
    assert "attachments" in refused.value.message_dict
    assert ticket.messages.count() == 1  # nothing written
