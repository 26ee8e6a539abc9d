"""Reply routing, one case per row of the rule (tickets/channels/routing.py): the ticket's own
channel when it can carry replies, else the customer's best email, else 422 undeliverable
(nothing written) unless the caller records it unsent."""

from __future__ import annotations

import pytest
from django.utils import timezone

from customers.services import IdentityInput, customer_create, identity_mark_undeliverable
from outbox.models import OutboxMessage
from tests.conftest import assert_error
from tickets.channels.models import ChannelThread, InboundMessage
from tickets.channels.routing import reply_route
from tickets.models import Message
from tickets.services import ticket_create

from . import mails
from .conftest import deliver

pytestmark = pytest.mark.django_db


def _customer(*identities: tuple[str, str]):
    return customer_create(
        name="Kim", identities=[IdentityInput(kind, value) for kind, value in identities]
    )


def _reply(client, ticket, **extra):
    return client.post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Hello", **extra}, format="json"
    )


def test_email_ticket_goes_back_to_its_mailbox(email_channel, django_capture_on_commit_callbacks):
    ticket = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks).ticket
    route = reply_route(ticket)
    assert (route.transport, route.kind, route.recipient) == ("email", "email", "kim@example.com")
    assert route.channel == email_channel
    assert route.describe() == "Sends by email to kim@example.com"


def test_api_ticket_with_an_email_identity_goes_by_email(team, email_channel):
    ticket = ticket_create(
        requester=_customer(("email", "kim@example.com")),
        subject="Via API",
        body="x",
        channel="api",
    )
    route = reply_route(ticket)
    assert (route.transport, route.recipient, route.channel) == (
        "email",
        "kim@example.com",
        email_channel,
    )


def test_phone_ticket_with_an_email_goes_by_email_and_the_message_records_it(
    team, agent_client, email_channel, mailoutbox, django_capture_on_commit_callbacks
):
    caller = _customer(("phone", "+442079460958"), ("email", "kim@example.com"))
    ticket = ticket_create(
        requester=caller, subject="Call", body="Missed call", channel="phone", team=team
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _reply(agent_client, ticket)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "email"  # recorded on the message: it left by email
    assert body["delivery"]["channel"] == "email"
    assert body["delivery"]["recipient"] == "kim@example.com"
    assert body["delivery"]["state"] in ("queued", "sent")
    [sent] = mailoutbox
    assert sent.to == ["kim@example.com"]
    assert sent.from_email == "Acme <support@acme.test>"
    row = OutboxMessage.objects.get(message_id=body["id"])
    assert (row.state, row.attempts, row.sent_at is not None) == ("sent", 1, True)


def test_phone_ticket_without_a_reachable_identity_is_422_and_writes_nothing(team, agent_client):
    caller = _customer(("phone", "+442079460958"))
    ticket = ticket_create(
        requester=caller, subject="Call", body="Missed call", channel="phone", team=team
    )
    before = Message.objects.count()
    response = _reply(agent_client, ticket)
    assert_error(response, 422, "undeliverable")
    assert "Nothing can carry a reply" in response.json()["error"]["message"]
    assert Message.objects.count() == before
    assert not OutboxMessage.objects.exists()


def test_record_unsent_stores_the_reply_marked_undeliverable(team, agent_client):
    caller = _customer(("phone", "+442079460958"))
    ticket = ticket_create(
        requester=caller, subject="Call", body="Missed call", channel="phone", team=team
    )
    response = _reply(agent_client, ticket, record_unsent=True)
    assert response.status_code == 201, response.content
    delivery = response.json()["delivery"]
    assert delivery["state"] == "undeliverable"
    assert delivery["sent_at"] is None
    assert "Nothing can carry a reply" in delivery["error"]


def test_an_undeliverable_address_is_skipped_for_the_next_one(team):
    kim = _customer(("email", "kim@old.example"), ("email", "kim@new.example"))
    identity_mark_undeliverable(address="kim@old.example", reason="5.1.1", customer_id=kim.pk)
    ticket = ticket_create(requester=kim, subject="Hi", body="x", channel="phone")
    assert reply_route(ticket).recipient == "kim@new.example"


def _chat_ticket(integration_client, capture, email: str | None = None):
    visitor = {"id": "v1", **({"email": email} if email else {})}
    payload = {"conversation_id": "conv-1", "message_id": "m-1", "visitor": visitor, "text": "Hi"}
    with capture(execute=True):
        response = integration_client.post("/api/v1/inbound/chat/", payload, format="json")
    return InboundMessage.objects.get(pk=response.json()["id"]).ticket


def test_live_chat_while_open_goes_to_the_conversation(
    chat_channel, integration_client, django_capture_on_commit_callbacks
):
    ticket = _chat_ticket(integration_client, django_capture_on_commit_callbacks)
    route = reply_route(ticket)
    # The "chat" transport (widget app) sends it to the provider's webhook_url.
    assert (route.transport, route.kind, route.recipient) == ("chat", "chat", "conv-1")
    assert route.channel == chat_channel
    assert route.describe() == "Sends on Live chat (conversation conv-1)"


def test_ended_live_chat_falls_back_to_the_visitors_email(
    chat_channel, email_channel, integration_client, django_capture_on_commit_callbacks
):
    ticket = _chat_ticket(
        integration_client, django_capture_on_commit_callbacks, email="kim@example.com"
    )
    ChannelThread.objects.filter(ticket=ticket).update(ended_at=timezone.now())
    route = reply_route(ticket)
    assert (route.transport, route.recipient) == ("email", "kim@example.com")


def test_ended_live_chat_of_an_anonymous_visitor_cannot_be_answered(
    chat_channel, integration_client, agent_client, django_capture_on_commit_callbacks
):
    ticket = _chat_ticket(integration_client, django_capture_on_commit_callbacks)
    ChannelThread.objects.filter(ticket=ticket).update(ended_at=timezone.now())
    assert reply_route(ticket) is None
    assert_error(_reply(agent_client, ticket), 422, "undeliverable")


def test_social_ticket_goes_to_its_conversation(
    social_channel, integration_client, django_capture_on_commit_callbacks
):
    payload = {
        "platform": "x",
        "account": "acme",
        "author": {"handle": "kim_k"},
        "message_id": "tw-1",
        "conversation_id": "dm-kim",
        "text": "My parcel never came",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = integration_client.post("/api/v1/inbound/social/", payload, format="json")
    ticket = InboundMessage.objects.get(pk=response.json()["id"]).ticket
    route = reply_route(ticket)
    assert (route.transport, route.kind, route.recipient) == ("webhook", "social", "dm-kim")
    assert route.channel == social_channel
