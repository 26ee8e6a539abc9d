"""WhatsApp Cloud API: messages become tickets on the customer with that phone, duplicates
change nothing, replies go through the Graph API (a local server), statuses update the
outbox row, and the 24-hour window allows only templates after it closes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import CustomerIdentity
from customers.services import IdentityInput, customer_create
from outbox.models import OutboxMessage
from tests.conftest import assert_error
from tickets.channels.models import ChannelThread, InboundMessage
from tickets.models import Message, Ticket

from . import payloads
from .conftest import WA_TOKEN, post_hook

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


def now_ts(hours_ago: float = 0) -> str:
    return str(int(time.time() - hours_ago * 3600))


def wa_in(client, channel, capture, *messages, **kw):
    response = post_hook(client, channel, payloads.wa_messages(*messages, **kw), capture)
    assert response.status_code == 200, response.content
    return response.json()


def reply(client, ticket, capture, **body):
    with capture(execute=True):
        return client.post(f"/api/v1/tickets/{ticket.pk}/messages/", body, format="json")


def test_a_whatsapp_number_joins_the_customer_with_that_phone(
    wa_channel, anon_client, django_capture_on_commit_callbacks
):
    kim = customer_create(name="Kim Ozola", identities=[IdentityInput("phone", "+371 22 345 678")])
    wa_in(
        anon_client,
        wa_channel,
        django_capture_on_commit_callbacks,
        payloads.wa_text("wamid.A1", "Is my order shipped?", timestamp=now_ts()),
    )
    ticket = Ticket.objects.get()
    assert ticket.requester == kim
    assert ticket.channel == "whatsapp"
    assert ticket.subject == "WhatsApp message from Sheena Nelson"
    assert list(kim.identities.values_list("kind", "value")) == [("phone", "+37122345678")]
    thread = ChannelThread.objects.get()
    assert (thread.channel, thread.key, thread.ticket) == (wa_channel, "37122345678", ticket)


def test_a_new_number_is_a_new_customer_named_by_the_profile(
    wa_channel, anon_client, django_capture_on_commit_callbacks
):
    wa_in(
        anon_client,
        wa_channel,
        django_capture_on_commit_callbacks,
        payloads.wa_text("wamid.N1", "Hi", wa_id="16505551234"),
        wa_id="16505551234",
        name="Sam Lee",
    )
    identity = CustomerIdentity.objects.get()
    assert (identity.kind, identity.value, identity.customer.name) == (
        "phone",
        "+16505551234",
        "Sam Lee",
    )


def test_one_conversation_per_number_and_the_same_wamid_twice_is_one_message(
    wa_channel, anon_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    graph.media["1003383421387256"] = (JPEG, "image/jpeg")
    first = wa_in(anon_client, wa_channel, capture, payloads.wa_text("wamid.D1", "Hello"))
    again = wa_in(anon_client, wa_channel, capture, payloads.wa_text("wamid.D1", "Hello"))
    wa_in(anon_client, wa_channel, capture, payloads.wa_image("wamid.D2"))
    wa_in(anon_client, wa_channel, capture, payloads.wa_button_reply("wamid.D3"))
    wa_in(anon_client, wa_channel, capture, payloads.wa_location("wamid.D4"))
    assert (first["stored"], again["stored"], again["duplicates"]) == (1, 0, 1)
    ticket = Ticket.objects.get()
    bodies = list(ticket.messages.order_by("id").values_list("body_text", flat=True))
    assert bodies[0] == "Hello"
    assert bodies[1].startswith("The broken hinge")
    assert "media id 1003383421387256" in bodies[1]
    assert bodies[2] == "Chose: Cancel my order"
    assert bodies[3].startswith("Location: Freedom Monument, Brīvības iela 1, Rīga")
    assert InboundMessage.objects.count() == 4
    assert list(ticket.messages.values_list("external_id", flat=True).order_by("id")) == [
        "wamid.D1",
        "wamid.D2",
        "wamid.D3",
        "wamid.D4",
    ]


def test_messages_to_another_number_of_the_app_are_not_this_channels(
    wa_channel, anon_client, django_capture_on_commit_callbacks
):
    result = wa_in(
        anon_client,
        wa_channel,
        django_capture_on_commit_callbacks,
        payloads.wa_text("wamid.O1", "Hi"),
        number_id="999999999",
    )
    assert result["stored"] == 0
    assert not InboundMessage.objects.exists()


def test_a_reply_inside_the_window_is_sent_as_text_through_the_cloud_api(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.R1", "Help", timestamp=now_ts(2))
    )
    ticket = Ticket.objects.get()
    response = reply(agent_client, ticket, capture, body="We are on it.")
    assert response.status_code == 201, response.content
    [request] = graph.requests
    assert request.path == f"/v21.0/{payloads.PHONE_NUMBER_ID}/messages"
    assert request.headers["Authorization"] == f"Bearer {WA_TOKEN}"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "37122345678",
        "type": "text",
        "text": {"preview_url": False, "body": "We are on it."},
    }
    row = OutboxMessage.objects.get(message__ticket=ticket)
    assert (row.transport, row.state, row.provider_id, row.recipient) == (
        "whatsapp",
        "sent",
        "wamid.SENT1",
        "37122345678",
    )
    assert response.json()["delivery"]["state"] == "queued"  # as the API saw it at commit


def test_statuses_update_the_outbox_row(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.S1", "Help", timestamp=now_ts())
    )
    ticket = Ticket.objects.get()
    reply(agent_client, ticket, capture, body="First")
    reply(agent_client, ticket, capture, body="Second")
    first, second = OutboxMessage.objects.filter(transport="whatsapp").order_by("id")
    for status in ("sent", "delivered", "read"):
        response = post_hook(
            anon_client, wa_channel, payloads.wa_status(first.provider_id, status), capture
        )
        assert response.status_code == 200
    first.refresh_from_db()
    assert first.delivered_at is not None
    assert first.read_at is not None
    assert first.read_at.timestamp() == 1750263773
    response = post_hook(
        anon_client,
        wa_channel,
        payloads.wa_status(second.provider_id, "failed", errors=[payloads.REENGAGEMENT_ERROR]),
        capture,
    )
    assert response.json()["statuses"] == 1
    second.refresh_from_db()
    assert second.state == "failed"
    assert second.error == "provider: Re-engagement message (131047)"
    assert not InboundMessage.objects.filter(dedupe_key__startswith="wamid.SENT").exists()
    # A status for something we never sent changes nothing, and is not an error.
    response = post_hook(
        anon_client, wa_channel, payloads.wa_status("wamid.UNKNOWN", "read"), capture
    )
    assert response.json()["statuses"] == 0


def test_outside_the_window_free_text_is_422_and_nothing_is_written(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.W1", "Help", timestamp=now_ts(25))
    )
    ticket = Ticket.objects.get()
    version, count = ticket.version, Message.objects.count()
    response = reply(agent_client, ticket, capture, body="Sorry for the wait")
    assert_error(response, 422, "reply_window_closed")
    assert "Only a template message can be sent now" in response.json()["error"]["message"]
    ticket.refresh_from_db()
    assert (ticket.version, Message.objects.count(), graph.requests) == (version, count, [])
    assert not OutboxMessage.objects.exists()


def test_outside_the_window_a_template_is_sent_with_the_agents_text_as_its_parameter(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.T1", "Help", timestamp=now_ts(30))
    )
    ticket = Ticket.objects.get()
    response = reply(
        agent_client, ticket, capture, body="your parcel left today", template="ticket_update"
    )
    assert response.status_code == 201, response.content
    assert response.json()["body_text"] == "We have an update: your parcel left today"
    [request] = graph.requests
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "37122345678",
        "type": "template",
        "template": {
            "name": "ticket_update",
            "language": {"code": "en_US"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "your parcel left today"}]}
            ],
        },
    }
    reply(agent_client, ticket, capture, template="reopen_chat:en_US")
    assert graph.requests[1].json["template"] == {
        "name": "reopen_chat",
        "language": {"code": "en_US"},
    }
    assert OutboxMessage.objects.filter(state="sent").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "x", "template": "no_such"}, "template"),
        ({"template": "ticket_update"}, "body"),
        ({"body": "extra text", "template": "reopen_chat"}, "body"),
    ],
)
def test_a_template_that_does_not_fit_is_400_and_nothing_is_written(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks, body, field
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.B1", "Help", timestamp=now_ts(30))
    )
    ticket = Ticket.objects.get()
    response = reply(agent_client, ticket, capture, **body)
    assert_error(response, 400, field=field)
    assert Message.objects.count() == 1
    assert graph.requests == []


def test_the_customer_writing_again_reopens_the_window(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.X1", "Help", timestamp=now_ts(30))
    )
    wa_in(
        anon_client,
        wa_channel,
        capture,
        payloads.wa_text("wamid.X2", "Still there?", timestamp=now_ts()),
    )
    response = reply(agent_client, Ticket.objects.get(), capture, body="Yes!")
    assert response.status_code == 201
    assert graph.requests[0].json["type"] == "text"


def test_an_automatic_message_past_the_window_is_recorded_undeliverable(
    wa_channel, anon_client, graph, django_capture_on_commit_callbacks
):
    from tickets.services import system_message_add

    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.U1", "Help", timestamp=now_ts(26))
    )
    with capture(execute=True):
        message = system_message_add(ticket=Ticket.objects.get(), body="Your ticket was solved.")
    row = OutboxMessage.objects.get(message=message)
    assert row.state == "undeliverable"
    assert "reply window" in row.error
    assert graph.requests == []


def test_a_permanent_graph_error_fails_the_row_and_a_server_error_is_retried(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.E1", "Help", timestamp=now_ts())
    )
    ticket = Ticket.objects.get()
    graph.failures.append(
        (
            400,
            {
                "message": "(#131026) Message undeliverable",
                "type": "OAuthException",
                "code": 131026,
                "error_data": {"messaging_product": "whatsapp", "details": "Receiver is incapable"},
            },
        )
    )
    reply(agent_client, ticket, capture, body="One")
    row = OutboxMessage.objects.get()
    assert (row.state, row.last_status) == ("failed", 400)
    assert "Message undeliverable (code 131026): Receiver is incapable" in row.error
    graph.failures.append((503, {"message": "Service temporarily unavailable", "code": 2}))
    reply(agent_client, ticket, capture, body="Two")
    row = OutboxMessage.objects.order_by("-id").first()
    assert (row.state, row.attempts, row.last_status) == ("queued", 1, 503)
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=10)


def test_a_rotated_token_is_used_by_rows_still_queued_and_a_wrong_one_fails(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.K1", "Help", timestamp=now_ts())
    )
    wa_channel.settings["access_token"] = "EAAexpired"
    wa_channel.save()
    reply(agent_client, Ticket.objects.get(), capture, body="One")
    row = OutboxMessage.objects.get()
    assert row.state == "failed"
    assert "Invalid OAuth access token" in row.error
    assert graph.requests[0].headers["Authorization"] == "Bearer EAAexpired"


def test_media_is_fetched_from_the_cloud_api_and_stored_as_an_attachment(
    wa_channel, anon_client, graph, django_capture_on_commit_callbacks
):
    graph.media["1003383421387256"] = (JPEG, "image/jpeg")
    wa_in(
        anon_client, wa_channel, django_capture_on_commit_callbacks, payloads.wa_image("wamid.M1")
    )
    message = Message.objects.get()
    [attachment] = message.attachments.all()
    assert attachment.filename == "whatsapp-image-1003383421387256.jpg"
    assert (attachment.content_type, attachment.size) == ("image/jpeg", len(JPEG))
    assert attachment.file.read() == JPEG
    info, download = graph.requests
    assert (info.method, info.path) == ("GET", "/v21.0/1003383421387256")
    assert (download.method, download.path) == ("GET", "/media/1003383421387256")
    assert download.headers["Authorization"] == f"Bearer {WA_TOKEN}"


def test_media_gone_at_meta_is_recorded_withheld_and_the_message_still_lands(
    wa_channel, anon_client, graph, django_capture_on_commit_callbacks
):
    wa_in(
        anon_client, wa_channel, django_capture_on_commit_callbacks, payloads.wa_image("wamid.M2")
    )
    message = Message.objects.get()
    assert not message.attachments.exists()
    [withheld] = message.withheld_parts
    assert withheld["reason"] == "unavailable"
    assert "does not exist" in withheld["detail"]
    assert InboundMessage.objects.get().state == "processed"


def test_a_status_webhook_costs_a_fixed_number_of_queries(
    wa_channel,
    anon_client,
    agent_client,
    graph,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client, wa_channel, capture, payloads.wa_text("wamid.Q1", "Help", timestamp=now_ts())
    )
    reply(agent_client, Ticket.objects.get(), capture, body="On it")
    wamid = OutboxMessage.objects.get().provider_id
    post_hook(anon_client, wa_channel, payloads.wa_status(wamid, "delivered"), capture)
    # The channel, the row locked, its update: 3 statements, and the savepoints of the
    # request's, provider_receive's and outbox_provider_status's atomic blocks.
    with django_assert_num_queries(9):
        response = post_hook(anon_client, wa_channel, payloads.wa_status(wamid, "read"), capture)
    assert response.json()["statuses"] == 1


def test_files_on_a_reply_are_uploaded_and_sent_as_documents(
    wa_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    capture = django_capture_on_commit_callbacks
    wa_in(
        anon_client,
        wa_channel,
        capture,
        payloads.wa_text("wamid.F1", "Invoice?", timestamp=now_ts()),
    )
    ticket = Ticket.objects.get()
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", content_type="application/pdf")
    with capture(execute=True):
        response = agent_client.post(
            f"/api/v1/tickets/{ticket.pk}/messages/",
            {"body": "Here it is", "attachments": [upload]},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    text, media, document = graph.requests
    assert text.json["text"]["body"] == "Here it is"
    assert media.path == f"/v21.0/{payloads.PHONE_NUMBER_ID}/media"
    assert media.headers["Authorization"] == f"Bearer {WA_TOKEN}"
    assert media.json["messaging_product"] == "whatsapp"
    assert media.json["type"] == "application/pdf"
    assert media.json["file"] == ("invoice.pdf", "application/pdf", b"%PDF-1.4 invoice")
    assert document.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "37122345678",
        "type": "document",
        "document": {"id": "media-up-2", "filename": "invoice.pdf"},
    }
    row = OutboxMessage.objects.get()
    assert (row.state, row.provider_id) == ("sent", "wamid.SENT1")


def test_a_reaction_joins_an_open_conversation_and_is_ignored_without_one(
    wa_channel, anon_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks

    def reaction(wamid: str, emoji: str) -> dict:
        return {
            "from": "37122345678",
            "id": wamid,
            "timestamp": now_ts(),
            "type": "reaction",
            "reaction": {"message_id": "wamid.SENT1", "emoji": emoji},
        }

    wa_in(anon_client, wa_channel, capture, reaction("wamid.RX0", "\U0001f44d"))
    assert InboundMessage.objects.get().state == "ignored"
    assert not Ticket.objects.exists()
    wa_in(anon_client, wa_channel, capture, payloads.wa_text("wamid.RX1", "Hello"))
    wa_in(anon_client, wa_channel, capture, reaction("wamid.RX2", "\U0001f44d"))
    wa_in(anon_client, wa_channel, capture, reaction("wamid.RX3", ""))  # reaction removed
    bodies = list(Ticket.objects.get().messages.order_by("id").values_list("body_text", flat=True))
    assert bodies == ["Hello", "Reacted \U0001f44d to a message"]
