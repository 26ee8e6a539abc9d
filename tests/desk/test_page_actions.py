"""The desk's forms on a ticket page through Django's test client: reply, note, fields,
claim, collisions, CSRF; and presence."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from slas.models import Metric, SlaClock
from tests.factories import ManagerFactory
from tickets import services as ticket_services
from tickets.models import Message, Priority
from tickets.status import Status

from .conftest import desk_client

pytestmark = pytest.mark.django_db


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-ticket="(\d+)"', html)]


# --- actions -----------------------------------------------------------------------------------


def test_public_reply_fulfils_first_response_and_goes_out(agent, desk, make_ticket):
    ticket = make_ticket()
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "We are on it.", "visibility": "public", "status": "", "version": 1},
    )
    assert response.status_code == 302
    reply = Message.objects.filter(ticket=ticket, author_user=agent).get()
    assert reply.is_public
    assert reply.direction == "outbound"
    assert reply.channel == "email"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.first_replied_at is not None
    clock = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert clock.fulfilled_at is not None
    html = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "We are on it." in html
    assert "Reply queued for delivery." in html
    assert re.search(r"First response</th>.*?state-fulfilled", html, re.S)


def test_internal_note_with_status_change(agent, desk, make_ticket):
    ticket = make_ticket()
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "Checking logs", "visibility": "internal", "status": "on_hold", "version": 1},
    )
    assert response.status_code == 302
    note = Message.objects.get(ticket=ticket, author_user=agent)
    assert not note.is_public
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD
    assert ticket.first_replied_at is None


def test_status_to_pending_pauses_resolution(agent, desk, make_ticket):
    ticket = make_ticket()
    desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "Hi", "visibility": "public", "status": "", "version": 1},
    )
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/fields/",
        {
            "status": "pending",
            "priority": Priority.HIGH,
            "assignee": agent.pk,
            "team": ticket.team_id,
            "tags": "billing, VIP",
            "version": 2,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.priority == Priority.HIGH
    assert ticket.assignee == agent
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "vip"]
    clock = SlaClock.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert clock.paused_since is not None
    html = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert re.search(r"Resolution</th>.*?state-paused", html, re.S)


def test_invalid_transition_is_a_form_error(agent, desk, make_ticket):
    ticket = make_ticket()
    ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED)
    ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.CLOSED)
    ticket.refresh_from_db()
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "too late", "visibility": "public", "version": ticket.version},
    )
    assert response.status_code == 409
    assert b"closed ticket is final" in response.content
    assert b"too late" in response.content


def test_stale_version_warns_and_keeps_the_typed_text(agent, desk, make_ticket, manager):
    manager.first_name, manager.last_name = "Mona", "Manager"
    manager.save()
    ticket = make_ticket()
    opened_version = ticket.version
    ticket_services.ticket_update(ticket=ticket, actor=manager, priority=Priority.URGENT)
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "My carefully typed answer", "visibility": "public", "version": opened_version},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Mona Manager changed this ticket since you opened it." in html
    assert "My carefully typed answer</textarea>" in html
    assert f'name="version" value="{opened_version + 1}"' in html  # sending again goes ahead
    assert not Message.objects.filter(ticket=ticket, author_user=agent).exists()
    # the fields form is protected the same way
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/fields/",
        {"status": "open", "priority": 1, "team": ticket.team_id, "version": opened_version},
    )
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert ticket.status == Status.NEW
    # with the version from the warning page, the reply goes through
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "My carefully typed answer", "visibility": "public", "version": ticket.version},
    )
    assert response.status_code == 302


def test_empty_reply_is_a_form_error(desk, make_ticket):
    ticket = make_ticket()
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/reply/", {"body": "", "visibility": "public", "version": 1}
    )
    assert response.status_code == 400
    assert b"This field is required." in response.content


# --- presence ----------------------------------------------------------------------------------


def test_presence_shows_the_others(agent, desk, make_ticket, team):
    ticket = make_ticket()
    bob = ManagerFactory(username="bob", first_name="Bob", last_name="B")
    url = f"/desk/tickets/{ticket.pk}/presence/"
    assert desk.post(url, {"state": "viewing"}).json() == {"others": []}
    bob_client = desk_client(bob)
    assert bob_client.post(url, {"state": "replying"}).json() == {
        "others": [{"name": agent.display_name, "state": "viewing"}]
    }
    assert desk.get(url).json() == {"others": [{"name": "Bob B", "state": "replying"}]}
    assert "Bob B (replying)" in desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert desk.post(url, {"state": "dancing"}).status_code == 400


def test_presence_expires(agent, desk, make_ticket, settings):
    import time_machine

    ticket = make_ticket()
    bob = ManagerFactory(username="bob")
    url = f"/desk/tickets/{ticket.pk}/presence/"
    desk_client(bob).post(url, {"state": "viewing"})
    assert len(desk.get(url).json()["others"]) == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert desk.get(url).json() == {"others": []}
