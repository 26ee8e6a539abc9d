"""Messenger and Instagram messaging: page-scoped ids as social identities, echoes ignored,
duplicates once, replies through POST /me/messages, delivery and read events on the outbox
row, and the 24-hour standard messaging window."""

from __future__ import annotations

import json
import time

import pytest

from customers.models import CustomerIdentity
from outbox.models import OutboxMessage
from tests.conftest import assert_error
from tickets.channels.models import InboundMessage
from tickets.models import Message, Ticket

from . import payloads
from .conftest import IG_TOKEN, PAGE_TOKEN, post_hook

pytestmark = pytest.mark.django_db

PSID = "6543210987654321"
IGSID = "1234567890123456"


def ms_now(hours_ago: float = 0) -> int:
    return int((time.time() - hours_ago * 3600) * 1000)


def deliver(client, channel, capture, *events, obj="page", account=payloads.PAGE_ID):
    response = post_hook(
        client, channel, payloads.messenger(list(events), obj=obj, account=account), capture
    )
    assert response.status_code == 200, response.content
    return response.json()


def posts(graph) -> list:
    """What was sent (the profile lookups aside)."""
    return [r for r in graph.requests if r.method == "POST"]


def reply(client, ticket, capture, **body):
    with capture(execute=True):
        return client.post(f"/api/v1/tickets/{ticket.pk}/messages/", body, format="json")


def test_a_messenger_conversation_is_one_ticket_on_the_page_scoped_id(
    messenger_channel, anon_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    graph.profiles[PSID] = {"first_name": "Kim", "last_name": "Lee"}
    deliver(anon_client, messenger_channel, capture, payloads.ms_message("m_1", "My order is late"))
    photo = payloads.ms_message(
        "m_2",
        "",
        attachments=[
            {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1.png"}}
        ],
    )
    photo["message"].pop("text")
    deliver(anon_client, messenger_channel, capture, photo)
    ticket = Ticket.objects.get()
    assert ticket.channel == "messenger"
    assert ticket.subject == "Messenger message from Kim Lee"
    assert ticket.requester.name == "Kim Lee"
    # The profile is asked once (the customer has a name after the first message).
    [profile] = [r for r in graph.requests if r.method == "GET"]
    assert profile.path == f"/v21.0/{PSID}?fields=first_name,last_name"
    assert profile.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    assert list(ticket.messages.order_by("id").values_list("body_text", flat=True)) == [
        "My order is late",
        "[Image] https://scontent.xx.fbcdn.net/v/t1.png",
    ]
    identity = CustomerIdentity.objects.get()
    assert (identity.kind, identity.platform, identity.value) == ("social", "messenger", PSID)


def test_echoes_are_ignored_and_the_same_mid_twice_is_one_message(
    messenger_channel, anon_client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = deliver(anon_client, messenger_channel, capture, payloads.ms_message("m_d", "Hi"))
    again = deliver(
        anon_client,
        messenger_channel,
        capture,
        payloads.ms_message("m_d", "Hi"),
        payloads.ms_echo("m_echo", "Our own reply"),
    )
    assert (first["stored"], again["stored"], again["duplicates"]) == (1, 0, 1)
    assert InboundMessage.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_reply_goes_through_the_send_api_and_receipts_update_the_row(
    messenger_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    message = payloads.ms_message("m_r", "Help")
    message["timestamp"] = ms_now(1)
    deliver(anon_client, messenger_channel, capture, message)
    ticket = Ticket.objects.get()
    assert reply(agent_client, ticket, capture, body="Looking now").status_code == 201
    assert reply(agent_client, ticket, capture, body="Found it").status_code == 201
    first, _second = posts(graph)
    assert first.path == "/v21.0/me/messages"
    assert first.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    assert first.json == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Looking now"},
    }
    rows = list(OutboxMessage.objects.filter(transport="messenger").order_by("id"))
    assert [(r.state, r.provider_id) for r in rows] == [("sent", "m_sent1"), ("sent", "m_sent2")]
    deliver(anon_client, messenger_channel, capture, payloads.ms_delivery(["m_sent1"], ms_now()))
    rows[0].refresh_from_db()
    rows[1].refresh_from_db()
    assert rows[0].delivered_at is not None
    assert rows[1].delivered_at is None
    # A read watermark names everything sent to that person up to then.
    result = deliver(anon_client, messenger_channel, capture, payloads.ms_read(ms_now() + 1000))
    assert result["statuses"] == 2
    for row in rows:
        row.refresh_from_db()
        assert row.read_at is not None
        assert row.delivered_at is not None


def test_past_the_24_hour_window_a_reply_is_422(
    messenger_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    message = payloads.ms_message("m_old", "Help")
    message["timestamp"] = ms_now(25)
    deliver(anon_client, messenger_channel, capture, message)
    response = reply(agent_client, Ticket.objects.get(), capture, body="Sorry")
    assert_error(response, 422, "reply_window_closed")
    assert "until the customer writes again" in response.json()["error"]["message"]
    assert posts(graph) == []
    assert Message.objects.count() == 1
    response = reply(agent_client, Ticket.objects.get(), capture, template="anything")
    assert_error(response, 400, field="template")


def test_instagram_messages_use_the_instagram_scoped_id_and_read_by_mid(
    instagram_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    event = payloads.ms_message(
        "aWdfZAG1faXRlbToxOk", "Do you ship to Riga?", psid=IGSID, account=payloads.IG_ID
    )
    event["timestamp"] = ms_now()
    deliver(anon_client, instagram_channel, capture, event, obj="instagram", account=payloads.IG_ID)
    ticket = Ticket.objects.get()
    identity = CustomerIdentity.objects.get()
    assert (identity.platform, identity.value) == ("instagram", IGSID)
    assert ticket.channel == "instagram"
    # Meta gave no profile (unknown to the local Graph API: its 400): no name, still a ticket.
    assert ticket.subject == f"Instagram message from {IGSID}"
    reply(agent_client, ticket, capture, body="We do!")
    [request] = posts(graph)
    assert request.headers["Authorization"] == f"Bearer {IG_TOKEN}"
    assert request.json["recipient"] == {"id": IGSID}
    row = OutboxMessage.objects.get(transport="instagram")
    deliver(
        anon_client,
        instagram_channel,
        capture,
        payloads.ig_read(row.provider_id, igsid=IGSID),
        obj="instagram",
        account=payloads.IG_ID,
    )
    row.refresh_from_db()
    assert row.read_at is not None


def test_events_for_another_page_of_the_app_are_not_this_channels(
    messenger_channel, anon_client, django_capture_on_commit_callbacks
):
    result = deliver(
        anon_client,
        messenger_channel,
        django_capture_on_commit_callbacks,
        payloads.ms_message("m_other", "Hi"),
        account="999",
    )
    assert result["stored"] == 0
    assert not InboundMessage.objects.exists()


def test_a_postback_is_the_buttons_title_and_a_delivery_watermark_marks_what_was_sent(
    messenger_channel, anon_client, agent_client, graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    postback = {
        "sender": {"id": PSID},
        "recipient": {"id": payloads.PAGE_ID},
        "timestamp": ms_now(),
        "postback": {"mid": "m_pb1", "title": "Talk to a person", "payload": "HUMAN"},
    }
    deliver(anon_client, messenger_channel, capture, postback)
    ticket = Ticket.objects.get()
    assert ticket.messages.get().body_text == "Talk to a person"
    reply(agent_client, ticket, capture, body="Hi, I am Alice")
    row = OutboxMessage.objects.get(transport="messenger")
    delivery = {
        "sender": {"id": PSID},
        "recipient": {"id": payloads.PAGE_ID},
        "delivery": {"watermark": ms_now() + 1000},
    }
    assert deliver(anon_client, messenger_channel, capture, delivery)["statuses"] == 1
    row.refresh_from_db()
    assert row.delivered_at is not None
    assert row.read_at is None


def test_files_on_a_messenger_reply_are_uploaded_each_as_a_message_and_instagram_refuses_them(
    messenger_channel,
    instagram_channel,
    anon_client,
    agent_client,
    graph,
    django_capture_on_commit_callbacks,
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    capture = django_capture_on_commit_callbacks
    message = payloads.ms_message("m_f", "Can I see the invoice?")
    message["timestamp"] = ms_now(1)
    deliver(anon_client, messenger_channel, capture, message)
    ticket = Ticket.objects.get()
    pdf = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", content_type="application/pdf")
    png_bytes = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    png = SimpleUploadedFile("label.png", png_bytes, content_type="image/png")
    with capture(execute=True):
        response = agent_client.post(
            f"/api/v1/tickets/{ticket.pk}/messages/",
            {"body": "Here it is", "attachments": [pdf, png]},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    text, first, second = posts(graph)
    assert text.json["message"] == {"text": "Here it is"}
    assert first.path == second.path == "/v21.0/me/messages"
    assert first.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    assert json.loads(first.json["recipient"]) == {"id": PSID}
    assert first.json["messaging_type"] == "RESPONSE"
    assert json.loads(first.json["message"]) == {
        "attachment": {"type": "file", "payload": {"is_reusable": False}}
    }
    assert first.json["filedata"] == ("invoice.pdf", "application/pdf", b"%PDF-1.4 invoice")
    assert json.loads(second.json["message"])["attachment"]["type"] == "image"
    row = OutboxMessage.objects.get(transport="messenger")
    assert (row.state, row.provider_id) == ("sent", "m_sent1")

    event = payloads.ms_message("ig_f", "And here?", psid=IGSID, account=payloads.IG_ID)
    event["timestamp"] = ms_now()
    deliver(anon_client, instagram_channel, capture, event, obj="instagram", account=payloads.IG_ID)
    ig_ticket = Ticket.objects.get(channel="instagram")
    pdf.seek(0)
    refused = agent_client.post(
        f"/api/v1/tickets/{ig_ticket.pk}/messages/",
        {"body": "Here", "attachments": [pdf]},
        format="multipart",
    )
    assert_error(refused, 400, field="attachments")
    assert ig_ticket.messages.count() == 1  # nothing written
