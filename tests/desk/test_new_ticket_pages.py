"""The desk's new-ticket page and files in desk replies (desk/new_ticket.py, the reply form)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from customers.models import Customer
from outbox.models import OutboxMessage
from tests.factories import CustomerFactory, TeamFactory
from tests.tickets.channels.conftest import make_channel
from tickets.channels.models import ChannelThread
from tickets.models import Direction, Ticket, TicketKind
from tickets.services import ticket_create

from .conftest import desk_client

pytestmark = pytest.mark.django_db


def _pdf(name="label.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 label", content_type="application/pdf")


def _form(team, **fields):
    return {
        "kind": "reactive",
        "channel": "phone",
        "requester_email": "",
        "requester_phone": "+49 30 555 0101",
        "requester_name": "Vera Caller",
        "team": team.pk,
        "priority": 3,
        "subject": "Parcel arrived broken",
        "body": "On the phone: the vase was in pieces.",
        **fields,
    }


def test_header_links_to_the_new_ticket_page(desk):
    page = desk.get("/desk/").content.decode()
    assert 'href="/desk/tickets/new/"' in page


def test_new_ticket_page_offers_only_the_agents_teams(
    desk, agent, team, other_team, django_assert_num_queries
):
    for n in range(5):  # more teams are still one query
        TeamFactory(name=f"Team {n}").members.add(agent)
    # session, user, the agent's zone, the header's available/away toggle, the team choices
    # (twice: Django's Select reads the first choice for its `required` attribute, then renders)
    with django_assert_num_queries(6):
        response = desk.get("/desk/tickets/new/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{team.pk}">Support</option>' in page
    assert ">Billing</option>" not in page


def test_on_behalf_of_a_caller_opens_the_ticket_and_shows_it(desk, agent, team):
    response = desk.post("/desk/tickets/new/", _form(team))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == f"/desk/tickets/{ticket.pk}/"
    assert (ticket.kind, ticket.channel, ticket.priority) == (TicketKind.REACTIVE, "phone", 3)
    assert ticket.requester.name == "Vera Caller"
    assert ticket.messages.get().direction == Direction.INBOUND
    page = desk.get(response.url).content.decode()
    assert f"Ticket #{ticket.pk} opened for the customer." in page


def test_another_teams_id_is_a_form_error_and_nothing_written(desk, other_team):
    response = desk.post("/desk/tickets/new/", _form(other_team))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


def test_reaching_out_to_a_customer_without_email_is_a_form_error(desk, team):
    response = desk.post(
        "/desk/tickets/new/", _form(team, kind="proactive", channel="email", body="Hello!")
    )
    assert response.status_code == 400
    assert "Nothing can reach this customer" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


def test_reaching_out_queues_the_message_with_its_file(desk, agent, team):
    make_channel("email", "Support mailbox", address="support@acme.test")
    fields = _form(
        team,
        kind="proactive",
        channel="email",
        requester_email="kim@example.com",
        body="Your replacement ships today.",
    )
    response = desk.post("/desk/tickets/new/", {**fields, "attachments": [_pdf()]})
    assert response.status_code == 302
    row = OutboxMessage.objects.get()
    assert row.recipient == "kim@example.com"
    assert [a["filename"] for a in row.payload["attachments"]] == ["label.pdf"]
    page = desk.get(response.url).content.decode()
    assert "your message is queued for delivery" in page


def test_a_manager_opens_into_any_team(manager, other_team):
    response = desk_client(manager).post("/desk/tickets/new/", _form(other_team))
    assert response.status_code == 302
    assert Ticket.objects.get().team == other_team


def test_desk_reply_with_files_is_stored_and_queued(desk, make_ticket):
    make_channel("email", "Support mailbox", address="support@acme.test")
    ticket = make_ticket()
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {
            "body": "Here is the label.",
            "visibility": "public",
            "version": ticket.version,
            "attachments": [_pdf(), _pdf("b.pdf")],
        },
    )
    assert response.status_code == 302
    reply = ticket.messages.get(direction=Direction.OUTBOUND)
    assert sorted(a.filename for a in reply.attachments.all()) == ["b.pdf", "label.pdf"]
    row = OutboxMessage.objects.get(message=reply)
    assert len(row.payload["attachments"]) == 2


def _chat_ticket(customer, team, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    chat = make_channel(
        "chat",
        "Website chat",
        widget_id="w-1",
        webhook_url="http://127.0.0.1:9/chat",
        webhook_secret="chat-secret",
    )
    thread = ChannelThread(channel=chat, key="conv-9", last_message_at=timezone.now())
    return ticket_create(
        requester=customer, subject="Chat", body="hi", channel="chat", team=team, thread=thread
    )


def test_live_chat_ticket_says_files_cannot_go_and_refuses_them(desk, team, settings):
    ticket = _chat_ticket(CustomerFactory(), team, settings)
    page = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Files cannot be attached: this message goes on Live chat" in page
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {
            "body": "See file",
            "visibility": "public",
            "version": ticket.version,
            "attachments": [_pdf()],
        },
    )
    assert response.status_code == 400
    assert 'id="reply-files-refused"' in response.content.decode()
    assert ticket.messages.count() == 1


def test_a_refused_file_type_is_a_form_error(desk, make_ticket):
    ticket = make_ticket()
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "x", "visibility": "internal", "version": ticket.version, "attachments": [bad]},
    )
    assert response.status_code == 400
    assert "are not accepted" in response.content.decode()
    assert ticket.messages.count() == 1


def test_the_tier_rule_applies_to_a_recorded_call_not_to_an_outreach(desk, team, customer):
    # The customer's tier serves email, chat and web (tests/desk/conftest.py), not phone.
    make_channel("email", "Support mailbox", address="support@acme.test")
    email = customer.identities.get().value
    desk.post("/desk/tickets/new/", _form(team, requester_phone="", requester_email=email))
    desk.post(
        "/desk/tickets/new/",
        _form(team, kind="proactive", channel="email", requester_phone="", requester_email=email),
    )
    called, outreach = Ticket.objects.order_by("id")
    assert (called.requester, outreach.requester) == (customer, customer)
    assert called.outside_plan is True
    assert outreach.outside_plan is False
    assert called.sla_clocks.exists()
