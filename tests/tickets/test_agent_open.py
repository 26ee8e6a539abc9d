"""An agent opens a ticket from the desk (tickets.services.ticket_open_by_agent), and files go
with replies only where the route carries them (ticket_reply)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from customers.models import Customer, CustomerIdentity
from outbox.models import OutboxMessage
from tests.factories import CustomerFactory
from tests.tickets.channels.conftest import make_channel
from tickets.attachments import AttachmentInput
from tickets.channels.models import ChannelThread
from tickets.models import Direction, EventKind, Message, Ticket, TicketKind
from tickets.services import ticket_create, ticket_open_by_agent, ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_channel(team):
    return make_channel("email", "Support mailbox", address="support@acme.test")


@pytest.fixture
def chat_channel(team, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    return make_channel(
        "chat",
        "Website chat",
        widget_id="w-1",
        webhook_url="http://127.0.0.1:9/chat",
        webhook_secret="chat-secret",
    )


def _file(name="invoice.pdf", data=b"%PDF-1.4 ticket", content_type="application/pdf"):
    return AttachmentInput(name, ContentFile(data, name=name), content_type)


def _open(agent, team, **kwargs):
    fields = {
        "kind": TicketKind.REACTIVE,
        "channel": "phone",
        "team": team,
        "subject": "Parcel arrived broken",
        "body": "Called: the vase was in pieces.",
    }
    return ticket_open_by_agent(actor=agent, **{**fields, **kwargs})


def test_on_behalf_creates_the_caller_by_phone_and_records_their_message(agent, team):
    ticket = _open(agent, team, requester_phone="+49 30 1234567", requester_name="Vera")
    assert (ticket.kind, ticket.channel, ticket.team) == (TicketKind.REACTIVE, "phone", team)
    assert ticket.requester.name == "Vera"
    [message] = ticket.messages.all()
    assert (message.direction, message.author_customer, message.is_public) == (
        Direction.INBOUND,
        ticket.requester,
        True,
    )
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.actor_user == agent
    assert not OutboxMessage.objects.exists()  # nothing goes out for a recorded request


def test_on_behalf_finds_the_customer_by_email(agent, team):
    known = CustomerFactory(email="kim@example.com")
    ticket = _open(agent, team, requester_email="Kim@Example.com", channel="email")
    assert ticket.requester == known
    assert Customer.objects.count() == 1


def test_an_agent_opens_only_into_their_teams_and_nothing_is_written(agent, other_team):
    with pytest.raises(ValidationError) as caught:
        _open(agent, other_team, requester_email="new@example.com")
    assert "team" in caught.value.message_dict
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


def test_a_manager_opens_into_any_team(manager, other_team):
    ticket = _open(manager, other_team, requester_email="new@example.com")
    assert ticket.team == other_team


def test_reaching_out_sends_the_agents_message_by_email(
    agent, team, email_channel, django_capture_on_commit_callbacks
):
    ticket = _open(
        agent,
        team,
        kind=TicketKind.PROACTIVE,
        channel="email",
        requester_email="kim@example.com",
        body="Your parcel ships today.",
        attachments=[_file()],
    )
    [message] = ticket.messages.all()
    assert (message.direction, message.author_user) == (Direction.OUTBOUND, agent)
    row = OutboxMessage.objects.get(message=message)
    assert (row.transport, row.recipient) == ("email", "kim@example.com")
    assert [a["filename"] for a in row.payload["attachments"]] == ["invoice.pdf"]
    assert ticket.kind == TicketKind.PROACTIVE


def test_reaching_out_to_a_customer_nothing_reaches_is_refused_and_nothing_written(agent, team):
    with pytest.raises(ValidationError) as caught:
        _open(agent, team, kind=TicketKind.PROACTIVE, channel="chat", requester_phone="+4930111")
    assert "Nothing can reach this customer" in caught.value.message_dict["requester_email"][0]
    assert not Ticket.objects.exists()
    assert not CustomerIdentity.objects.exists()


def test_reaching_out_on_a_call_record_is_refused(agent, team):
    with pytest.raises(ValidationError) as caught:
        _open(agent, team, kind=TicketKind.PROACTIVE, requester_email="kim@example.com")
    assert "channel" in caught.value.message_dict
    assert not Ticket.objects.exists()


def test_an_invalid_email_is_an_error_on_its_field(agent, team):
    with pytest.raises(ValidationError) as caught:
        _open(agent, team, requester_email="not an address")
    assert "requester_email" in caught.value.message_dict


def test_more_files_than_the_limit_are_refused(agent, team, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    with pytest.raises(ValidationError) as caught:
        _open(agent, team, requester_email="k@example.com", attachments=[_file()] * 3)
    assert "at most 2" in caught.value.message_dict["attachments"][0]
    assert not Ticket.objects.exists()


def _chat_ticket(customer, team, chat_channel):
    thread = ChannelThread(channel=chat_channel, key="conv-9", last_message_at=timezone.now())
    return ticket_create(
        requester=customer, subject="Chat", body="hi", channel="chat", team=team, thread=thread
    )


def test_a_public_reply_with_files_on_a_live_chat_is_refused(agent, team, chat_channel):
    ticket = _chat_ticket(CustomerFactory(), team, chat_channel)
    with pytest.raises(ValidationError) as caught:
        ticket_reply(ticket=ticket, author=agent, body="Here", attachments=[_file()])
    assert "Live chat" in caught.value.message_dict["attachments"][0]
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_an_internal_note_with_files_on_a_live_chat_is_kept(agent, team, chat_channel):
    ticket = _chat_ticket(CustomerFactory(), team, chat_channel)
    note = ticket_reply(ticket=ticket, author=agent, body="x", public=False, attachments=[_file()])
    assert [a.filename for a in note.attachments.all()] == ["invoice.pdf"]


def test_a_reply_with_files_by_email_stores_them_and_puts_them_in_the_envelope(
    agent, team, email_channel
):
    ticket = ticket_create(requester=CustomerFactory(), subject="Hi", body="x", team=team)
    reply = ticket_reply(ticket=ticket, author=agent, body="Attached", attachments=[_file()])
    [stored] = reply.attachments.all()
    assert (stored.filename, stored.content_type, stored.size) == (
        "invoice.pdf",
        "application/pdf",
        15,
    )
    row = OutboxMessage.objects.get(message=reply)
    assert row.payload["attachments"] == [
        {"name": stored.file.name, "filename": "invoice.pdf", "content_type": "application/pdf"}
    ]


def test_a_reply_file_of_a_refused_type_is_an_error_on_attachments(agent, team):
    ticket = ticket_create(requester=CustomerFactory(), subject="Hi", body="x", team=team)
    with pytest.raises(ValidationError) as caught:
        ticket_reply(
            ticket=ticket,
            author=agent,
            body="x",
            attachments=[_file("run.exe", b"MZ", "application/x-msdownload")],
        )
    assert "not accepted" in caught.value.message_dict["attachments"][0]


def test_api_reply_with_files_on_a_live_chat_is_a_400_and_nothing_written(
    agent_client, team, chat_channel
):
    ticket = _chat_ticket(CustomerFactory(), team, chat_channel)
    upload = ContentFile(b"%PDF-1.4 x", name="a.pdf")
    response = agent_client.post(
        f"/api/v1/tickets/{ticket.pk}/messages/",
        {"body": "Here", "attachments": [upload]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "attachments" in str(response.json())
    assert Message.objects.filter(ticket=ticket).count() == 1
