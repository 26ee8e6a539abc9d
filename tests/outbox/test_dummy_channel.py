"""The reply-out half of a channel kind added through the registry alone: a dummy adapter
naming a dummy transport; a public reply on its ticket leaves through that transport, and
its outcome is the row's state."""

from __future__ import annotations

import pytest
from django.utils import timezone

from outbox import transports
from outbox.models import OutboxMessage, State
from outbox.transports import Sent
from tests.factories import CustomerFactory
from tests.tickets.channels.test_registry import pigeon  # noqa: F401 - the adapter fixture
from tickets.channels import registry
from tickets.channels.models import Channel, ChannelThread
from tickets.services import ticket_create, ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def dummy():
    sent: list[OutboxMessage] = []

    def send(row: OutboxMessage) -> Sent:
        sent.append(row)
        return Sent(provider_id=f"dummy-{len(sent)}")

    transports.register("dummy", send)
    registry.register(
        registry.ChannelAdapter(
            kind="dummy",
            label="Dummy",
            icon="",
            capabilities=registry.Capabilities(replies=True, conversation=True),
            reply_transport="dummy",
            reply_envelope=lambda message, thread: {"to": thread.key, "text": message.body_text},
        )
    )
    yield sent
    registry.unregister("dummy")
    transports.TRANSPORTS.pop("dummy", None)


def test_a_reply_on_a_dummy_kind_leaves_through_its_transport(
    dummy, agent, team, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(email="")
    ticket = ticket_create(
        requester=customer, subject="Hi", body="Hello?", channel="dummy", team=team
    )
    channel = Channel.objects.create(kind="dummy", name="Dummy line")
    ChannelThread.objects.create(
        channel=channel, key="conv-9", ticket=ticket, last_message_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=ticket, author=agent, body="Hello from us")
    [row] = dummy
    assert row.payload == {"to": "conv-9", "text": "Hello from us"}
    stored = OutboxMessage.objects.get(message=message)
    assert (stored.state, stored.transport, stored.channel, stored.recipient) == (
        State.SENT,
        "dummy",
        "dummy",
        "conv-9",
    )
    assert stored.provider_id == "dummy-1"


@pytest.fixture
def pigeon_post():
    sent: list[OutboxMessage] = []

    def send(row: OutboxMessage) -> Sent:
        sent.append(row)
        return Sent(provider_id=f"pp-{row.pk}")

    transports.register("pigeon-post", send)
    yield sent
    transports.TRANSPORTS.pop("pigeon-post", None)


@pytest.mark.usefixtures("pigeon")  # tests/tickets/channels/test_registry.py's adapter
def test_a_kind_added_by_an_adapter_alone_round_trips_a_message_in_and_a_reply_out(
    pigeon_post, integration_client, agent_client, team, django_capture_on_commit_callbacks
):
    from tickets.channels.config import channel_save

    channel_save(channel=Channel(), kind="pigeon", name="North loft", settings={"loft": "north"})
    payload = {"flight_id": "f-7", "message_id": "1", "sender": "kim@example.com", "text": "Seeds?"}
    with django_capture_on_commit_callbacks(execute=True):
        door = integration_client.post("/api/v1/inbound/pigeon/", payload, format="json")
    assert door.status_code == 202
    ticket = ChannelThread.objects.get(key="f-7").ticket
    with django_capture_on_commit_callbacks(execute=True):
        reply = agent_client.post(
            f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Seeds are coming"}, format="json"
        )
    assert reply.status_code == 201, reply.content
    [row] = pigeon_post
    assert (row.transport, row.channel, row.recipient) == ("pigeon-post", "pigeon", "f-7")
    delivery = reply.json()["delivery"]
    assert (delivery["channel"], delivery["recipient"]) == ("pigeon", "f-7")
    assert OutboxMessage.objects.get(pk=row.pk).state == State.SENT
