"""Phone: calls find the customer by any spelling of their number and thread by window."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from customers.services import IdentityInput, customer_create
from tickets.channels.models import InboundMessage
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def call(client, capture, call_id: str, from_number: str, **extra):
    payload = {
        "call_id": call_id,
        "from_number": from_number,
        "to_number": "+44 20 7946 0000",
        "started_at": "2026-11-24T10:00:00Z",
        "ended_at": "2026-11-24T10:03:20Z",
        "duration_seconds": 200,
        "recording_url": "https://recordings.example.com/c1.mp3",
        "transcript": "Customer: my router keeps rebooting.",
        **extra,
    }
    with capture(execute=True):
        response = client.post("/api/v1/inbound/calls/", payload, format="json")
    assert response.status_code in (200, 202), response.content
    return InboundMessage.objects.get(pk=response.json()["id"])


def test_call_matches_a_customer_by_a_differently_formatted_number(
    integration_client, phone_channel, django_capture_on_commit_callbacks
):
    kim = customer_create(name="Kim", identities=[IdentityInput("phone", "+442079460958")])
    row = call(integration_client, django_capture_on_commit_callbacks, "c1", "+44 (0)20 7946 0958")
    assert row.state == "processed", row.error
    assert row.ticket.requester_id == kim.pk
    assert row.ticket.channel == "phone"
    body = row.message.body_text
    assert "3 min 20 s" in body
    assert "https://recordings.example.com/c1.mp3" in body
    assert "router keeps rebooting" in body


def test_calls_within_the_window_append_to_the_open_ticket(
    integration_client, phone_channel, settings, django_capture_on_commit_callbacks
):
    settings.CALL_THREAD_WINDOW_HOURS = 24
    first = call(integration_client, django_capture_on_commit_callbacks, "c1", "+442079460958")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        second = call(
            integration_client, django_capture_on_commit_callbacks, "c2", "(+44) 20-7946-0958"
        )
    with time_machine.travel(timezone.now() + timedelta(hours=30)):
        third = call(integration_client, django_capture_on_commit_callbacks, "c3", "+442079460958")
    assert second.ticket_id == first.ticket_id
    assert third.ticket_id != first.ticket_id


def test_missed_call_opens_a_call_back_ticket(
    integration_client, phone_channel, django_capture_on_commit_callbacks
):
    row = call(
        integration_client,
        django_capture_on_commit_callbacks,
        "c9",
        "+14155550123",
        status="missed",
        duration_seconds=0,
        recording_url=None,
        transcript="",
    )
    ticket = row.ticket
    assert ticket.subject == "Call back: missed call from +14155550123"
    assert list(ticket.tags.values_list("name", flat=True)) == ["call-back"]
    assert "Please call the customer back." in row.message.body_text


def test_same_call_id_twice_is_one_message(
    integration_client, phone_channel, django_capture_on_commit_callbacks
):
    call(integration_client, django_capture_on_commit_callbacks, "c1", "+442079460958")
    call(integration_client, django_capture_on_commit_callbacks, "c1", "+442079460958")
    assert Ticket.objects.get().messages.count() == 1
