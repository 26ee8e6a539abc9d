"""A reply's delivery line on the desk changes live: every change of its outbox row that a
person reads (sent, queued again after a failure, failed, delivered, read, retried) is told to
the ticket's group after commit as {"type": "delivery", ...}; rows that carry no message tell
no one; a rollback tells nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from live import groups
from outbox import services as outbox
from outbox import transports
from outbox.models import OutboxMessage, Purpose, State
from outbox.transports import Sent
from tests.factories import CustomerFactory
from tickets.channels import registry
from tickets.channels.models import Channel, ChannelThread
from tickets.services import ticket_create, ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def carrier():
    """A dummy kind whose transport does what `carrier.next` says: "ok" or an exception."""

    class Carrier:
        next: str | Exception = "ok"

    def send(row: OutboxMessage) -> Sent:
        if isinstance(Carrier.next, Exception):
            raise Carrier.next
        return Sent(provider_id=f"carrier-{row.pk}")

    transports.register("carrier", send)
    registry.register(
        registry.ChannelAdapter(
            kind="carrier",
            label="Carrier",
            icon="",
            capabilities=registry.Capabilities(replies=True, conversation=True),
            reply_transport="carrier",
            reply_envelope=lambda message, thread: {"to": thread.key, "text": message.body_text},
        )
    )
    yield Carrier
    registry.unregister("carrier")
    transports.TRANSPORTS.pop("carrier", None)


@pytest.fixture
def reply(carrier, agent, team, django_capture_on_commit_callbacks):
    customer = CustomerFactory(email="")
    ticket = ticket_create(
        requester=customer, subject="Hi", body="Hello?", channel="carrier", team=team
    )
    channel = Channel.objects.create(kind="carrier", name="Carrier line")
    ChannelThread.objects.create(
        channel=channel, key="conv-1", ticket=ticket, last_message_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=False):  # queued, not attempted yet
        message = ticket_reply(ticket=ticket, author=agent, body="On its way")
    return message


def delivery(message) -> dict:
    return {"type": "delivery", "ticket": message.ticket_id, "message": message.pk}


def test_sent_delivered_and_read_each_reach_the_ticket_group_after_commit(
    reply, listener, django_capture_on_commit_callbacks
):
    listener.join(groups.ticket(reply.ticket_id))
    row = OutboxMessage.objects.get(message=reply)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox.outbox_send_now(row.pk)
    assert listener.events(wait=0.2) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert listener.events() == [delivery(reply)]
    row.refresh_from_db()
    assert row.state == State.SENT

    for status in ("delivered", "read", "read"):  # the second "read" changes nothing
        with django_capture_on_commit_callbacks(execute=True):
            outbox.outbox_provider_status(
                transport="carrier", provider_id=row.provider_id, status=status
            )
    assert listener.events() == [delivery(reply), delivery(reply)]


def test_a_failure_then_a_retry_reach_the_ticket_group(
    reply, carrier, listener, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    listener.join(groups.ticket(reply.ticket_id))
    row = OutboxMessage.objects.get(message=reply)
    carrier.next = ConnectionRefusedError("refused")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_send_now(row.pk)  # queued again, with its error
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        outbox.outbox_send_now(row.pk)  # the last attempt: failed
    assert listener.events() == [delivery(reply), delivery(reply)]
    row.refresh_from_db()
    assert row.state == State.FAILED

    carrier.next = "ok"
    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_retry(row=row)
    events = listener.events()
    assert events[0] == delivery(reply)  # retried: queued; then sent by the retry's attempt
    row.refresh_from_db()
    assert row.state == State.SENT
    assert events == [delivery(reply)] * 2


def test_rows_without_a_message_and_rolled_back_changes_tell_no_one(
    reply, listener, django_capture_on_commit_callbacks
):
    listener.join(groups.ticket(reply.ticket_id))
    webhook = outbox.outbox_enqueue(
        transport="carrier",
        purpose=Purpose.WEBHOOK,
        recipient="https://shop.example/hook",
        payload={},
    )
    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_send_now(webhook.pk)
    assert listener.events() == []

    row = OutboxMessage.objects.get(message=reply)

    def send_then_roll_back() -> None:
        with transaction.atomic():
            outbox.outbox_send_now(row.pk)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        send_then_roll_back()
    assert listener.events() == []
    row.refresh_from_db()
    assert row.state == State.QUEUED  # the attempt's record went with the rollback
