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
