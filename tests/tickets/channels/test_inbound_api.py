"""The inbound doors: 202 with the stored row, 200 on a duplicate, 4xx with the error shape
and nothing written on bad input."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tickets.channels.models import InboundMessage, InboundState
from tickets.models import Ticket

from . import mails
from .conftest import make_channel

pytestmark = pytest.mark.django_db


def post_email(client, raw: bytes, query: str = "", content_type: str = "message/rfc822"):
    return client.generic(
        "POST", f"/api/v1/inbound/email/{query}", data=raw, content_type=content_type
    )


def test_raw_email_is_accepted_and_processed(
    integration_client, email_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_email(integration_client, mails.build())
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "received"
    assert body["channel"] == email_channel.pk
    assert body["dedupe_key"] == "m1@mail.example.com"
    row = InboundMessage.objects.get(pk=body["id"])
    assert row.state == InboundState.PROCESSED
    assert row.ticket.source_integration.username == "shop"


def test_duplicate_email_answers_200_with_the_same_row(
    integration_client, email_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post_email(integration_client, mails.build())
    with django_capture_on_commit_callbacks(execute=True):
        again = post_email(integration_client, mails.build(), content_type="text/plain")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["state"] == "processed"
    assert Ticket.objects.count() == 1


def test_email_channel_by_query_or_by_mailbox(manager_client, email_channel, team):
    other = make_channel("email", "Billing mailbox", address="billing@acme.test")
    by_name = post_email(manager_client, mails.build(), "?channel=Billing mailbox")
    by_to = post_email(
        manager_client, mails.build(to="Billing <billing@acme.test>", message_id="<b@x>")
    )
    assert by_name.json()["channel"] == other.pk
    assert by_to.json()["channel"] == other.pk


@pytest.mark.parametrize(
    ("raw", "query", "field"),
    [
        (b"this is not an email at all", "", "body"),
        (b"", "", "body"),
        (mails.build(sender="nobody"), "", "body"),
        (mails.build(), "?channel=nope", "channel"),
        (mails.build(to="someone@else.test"), "", "channel"),
    ],
)
def test_bad_email_is_a_400_and_stores_nothing(
    integration_client, email_channel, team, raw, query, field
):
    make_channel("email", "Second", address="second@acme.test")  # no single default
    response = post_email(integration_client, raw, query)
    assert_error(response, 400, field=field)
    assert InboundMessage.objects.count() == 0


def test_oversize_attachment_is_accepted_at_the_door_and_withheld(
    integration_client, email_channel, settings, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_MAX_BYTES = 1000
    raw = mails.build(attachments=[("big.pdf", mails.PDF * 100, "application/pdf")])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_email(integration_client, raw)
    assert response.status_code == 202, response.content
    row = InboundMessage.objects.get()
    assert row.state == InboundState.PROCESSED
    assert [p["reason"] for p in row.message.withheld_parts] == ["too_large"]


def test_email_door_refuses_json(integration_client, email_channel):
    response = integration_client.post("/api/v1/inbound/email/", {"x": 1}, format="json")
    assert_error(response, 415)


CHAT = {
    "conversation_id": "conv-1",
    "message_id": "m-1",
    "visitor": {"email": "Kim@Example.com", "name": "Kim"},
    "text": "Hi, my order did not arrive",
}


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("chat", {**CHAT, "conversation_id": ""}, "conversation_id"),
        ("chat", {**CHAT, "visitor": {"name": "anon"}}, "visitor"),
        ("chat", {**CHAT, "text": ""}, "text"),
        ("chat", {**CHAT, "channel": "nope"}, "channel"),
        (
            "calls",
            {"call_id": "c1", "from_number": "12", "started_at": "2026-11-24T10:00:00Z"},
            "from_number",
        ),
        ("calls", {"from_number": "+442079460958", "started_at": "2026-11-24T10:00Z"}, "call_id"),
        (
            "social",
            {
                "platform": "myspace",
                "account": "acme",
                "author": {"handle": "kim"},
                "message_id": "1",
                "conversation_id": "1",
                "text": "hi",
            },
            "platform",
        ),
        (
            "social",
            {
                "platform": "x",
                "account": "acme",
                "author": {"handle": "kim"},
                "conversation_id": "1",
                "text": "hi",
            },
            "message_id",
        ),
    ],
)
def test_bad_json_payloads_are_400_with_field_errors(
    integration_client, chat_channel, phone_channel, social_channel, path, payload, field
):
    response = integration_client.post(f"/api/v1/inbound/{path}/", payload, format="json")
    error = assert_error(response, 400)
    assert any(f["field"].startswith(field) for f in error["fields"]), error
    assert InboundMessage.objects.count() == 0


def test_unknown_social_account_is_a_400(integration_client, social_channel):
    payload = {
        "platform": "facebook",
        "account": "acme",
        "author": {"handle": "kim"},
        "message_id": "1",
        "conversation_id": "1",
        "text": "hi",
    }
    response = integration_client.post("/api/v1/inbound/social/", payload, format="json")
    assert_error(response, 400, field="channel")


def test_agents_cannot_post_to_inbound_doors(agent_client, chat_channel):
    response = agent_client.post("/api/v1/inbound/chat/", CHAT, format="json")
    assert_error(response, 403)


def test_the_delivering_integration_can_read_what_it_created(
    integration_client, other_integration_client, email_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_email(integration_client, mails.build())
    row = InboundMessage.objects.get(pk=response.json()["id"])
    assert integration_client.get(f"/api/v1/tickets/{row.ticket_id}/").status_code == 200
    customer = f"/api/v1/customers/{row.ticket.requester_id}/"
    assert integration_client.get(customer).status_code == 200
    assert other_integration_client.get(customer).status_code == 404


def test_call_record_goes_to_the_phone_channel_whose_number_was_called(
    integration_client, phone_channel
):
    billing = make_channel("phone", "Billing line", number="+44 20 7946 0001")
    call = {
        "call_id": "c-7781",
        "from_number": "+44 20 7946 0958",
        "to_number": "+44 (0)20 7946 0001",
        "started_at": "2026-03-02T10:00:00Z",
    }
    response = integration_client.post("/api/v1/inbound/calls/", call, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["channel"] == billing.pk
