"""A customer without an email address is reached by SMS when an SMS channel is configured:
a missed call's call-back ticket is answered by text from the SMS number, the reply says
where it goes before it is sent, and the customer's answer from that number lands on the
same ticket. Without an SMS channel nothing changes: the reply is refused as undeliverable.
Twilio's side is a local server (provider_fakes.FakeTwilio)."""

from __future__ import annotations

import pytest

from core.errors import UndeliverableError
from customers.models import CustomerIdentity
from outbox.models import OutboxMessage, State
from tickets.channels.models import ChannelThread
from tickets.channels.routing import first_message_route, reply_route
from tickets.models import Ticket
from tickets.services import ticket_reply

from .test_twilio import (
    KIM_NUMBER,
    OUR_NUMBER,
    call_status,
    incoming_sms,
    post,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def missed_call(anon_client, hotline, django_capture_on_commit_callbacks) -> Ticket:
    post(anon_client, hotline, call_status("CA9", "no-answer"), django_capture_on_commit_callbacks)
    return Ticket.objects.get()


def test_without_an_sms_channel_a_phone_only_customer_cannot_be_answered(missed_call, agent):
    assert reply_route(missed_call) is None
    with pytest.raises(UndeliverableError):
        ticket_reply(ticket=missed_call, author=agent, body="We tried to call you back.")
    assert missed_call.messages.count() == 1


def test_a_missed_call_is_answered_by_sms_and_the_answer_lands_on_its_ticket(
    request,
    anon_client,
    missed_call,
    agent,
    twilio_api,
    django_capture_on_commit_callbacks,
):
    sms = request.getfixturevalue("sms")  # configured only now
    route = reply_route(missed_call)
    assert (route.transport, route.kind, route.recipient) == ("sms", "sms", KIM_NUMBER)
    assert route.describe() == f"Sends on SMS (conversation {KIM_NUMBER})"
    assert not ChannelThread.objects.filter(channel=sms).exists()  # asking writes nothing

    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        message = ticket_reply(ticket=missed_call, author=agent, body="Sorry we missed you.")
    [sent] = twilio_api.requests
    assert (sent.form["To"], sent.form["From"], sent.form["Body"]) == (
        KIM_NUMBER,
        OUR_NUMBER,
        "Sorry we missed you.",
    )
    row = OutboxMessage.objects.get(message=message)
    assert (row.transport, row.channel, row.state) == ("sms", "sms", State.SENT)
    message.refresh_from_db()
    assert message.channel == "sms"

    post(anon_client, sms, incoming_sms("SM77", "Call me after 5 please"), capture)
    assert Ticket.objects.count() == 1  # no new ticket: the answer is on the call-back one
    assert missed_call.messages.order_by("id").last().body_text == "Call me after 5 please"

    with capture(execute=True):  # the next reply goes on the same conversation
        ticket_reply(ticket=missed_call, author=agent, body="Will do.")
    assert [r.form["Body"] for r in twilio_api.requests][-1] == "Will do."
    assert ChannelThread.objects.filter(channel=sms, key=KIM_NUMBER).count() == 1


def test_email_still_comes_first_and_an_undeliverable_number_is_skipped(missed_call, request):
    request.getfixturevalue("sms")
    customer = missed_call.requester
    phone = CustomerIdentity.objects.get(customer=customer, kind="phone")
    assert first_message_route(customer=customer).transport == "sms"  # reaching out, too
    CustomerIdentity.objects.create(customer=customer, kind="email", value="kim@example.com")
    assert reply_route(Ticket.objects.get(pk=missed_call.pk)).transport == "email"
    CustomerIdentity.objects.filter(kind="email").delete()
    phone.undeliverable_at = phone.created_at
    phone.save()
    assert reply_route(Ticket.objects.get(pk=missed_call.pk)) is None
