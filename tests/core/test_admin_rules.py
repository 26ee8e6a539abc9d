"""The admin never bypasses the rules: a change made in /admin/ has exactly
the effects of the same change through the API, an invalid one is a form error that writes
nothing, and what has no service (or is history) is read-only.

Admin forms are submitted the way a browser does: the change page is fetched, every field it
renders is sent back with its current value, and only the edited fields differ."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from outbox.models import OutboxMessage
from slas.models import Metric
from tests.conftest import client_for
from tests.core.admin_pages import (
    MONDAY_10,
    NORMAL,
    URGENT,
    change_url,
    effects,
    errors_of,
    submitted,
    two_equal_tickets,
)
from tests.factories import (
    CustomerFactory,
    TeamFactory,
    UserFactory,
)
from tickets import services as tickets
from tickets.models import Message, Priority, TicketEvent
from tickets.services.common import _tag_objects as tag_objects

pytestmark = pytest.mark.django_db


# --- tickets: the admin's change is the API's change ---------------------------------------


def test_solving_in_the_admin_has_exactly_the_effects_of_solving_through_the_api(
    admin, root, customer, survey_rule, subscribed
):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        by_admin, by_api = two_equal_tickets(customer, root.support_team)
        traveller.shift(timedelta(minutes=20))
        response = admin.post(
            change_url(by_admin), submitted(admin, change_url(by_admin), status="solved")
        )
        assert response.status_code == 302, errors_of(response)
        api = client_for(root).patch(
            f"/api/v1/tickets/{by_api.pk}/", {"status": "solved"}, format="json"
        )
        assert api.status_code == 200, api.content

    solved = MONDAY_10 + timedelta(minutes=20)
    admin_effects = effects(by_admin)
    assert admin_effects == effects(by_api)
    # and those effects are the rules', not two equal no-ops
    assert admin_effects["status"] == "solved"
    assert admin_effects["solved_at"] == solved
    assert admin_effects["version"] == 2
    assert {metric: fulfilled for metric, _, _, _, fulfilled in admin_effects["clocks"]} == {
        Metric.FIRST_RESPONSE: solved,
        Metric.RESOLUTION: solved,
    }
    assert admin_effects["next_due_at"] is None
    assert admin_effects["audit"] == [
        ("status_changed", root.pk, {"status": "new"}, {"status": "solved"})
    ]
    assert admin_effects["followups"] == [
        (survey_rule.pk, "scheduled", solved + timedelta(minutes=30))
    ]
    assert admin_effects["webhooks"] == [
        ("ticket.updated", "queued", {"status": ["new", "solved"]}, "solved")
    ]


def test_urgent_in_the_admin_recomputes_the_clock_targets_like_the_api(admin, root, customer):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        by_admin, by_api = two_equal_tickets(customer, root.support_team)
        traveller.shift(timedelta(minutes=10))
        url = change_url(by_admin)
        response = admin.post(url, submitted(admin, url, priority=int(URGENT)))
        assert response.status_code == 302, errors_of(response)
        api = client_for(root).patch(
            f"/api/v1/tickets/{by_api.pk}/", {"priority": "urgent"}, format="json"
        )
        assert api.status_code == 200, api.content

    admin_effects = effects(by_admin)
    assert admin_effects == effects(by_api)
    due = {metric: (minutes, due_at) for metric, _, minutes, due_at, _ in admin_effects["clocks"]}
    assert due == {
        Metric.FIRST_RESPONSE: (15, MONDAY_10 + timedelta(minutes=15)),
        Metric.RESOLUTION: (60, MONDAY_10 + timedelta(minutes=60)),
    }
    assert admin_effects["next_due_at"] == MONDAY_10 + timedelta(minutes=15)
    assert admin_effects["audit"] == [
        ("priority_changed", root.pk, {"priority": "normal"}, {"priority": "urgent"})
    ]


def test_invalid_status_move_in_the_admin_is_a_form_error_and_changes_nothing(
    admin, root, customer, subscribed
):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    before = effects(ticket)
    url = change_url(ticket)
    # new -> closed skips solved; the subject edit in the same form must not be kept either
    data = submitted(admin, url, status="closed", subject="Leaking (closed by hand)")
    response = admin.post(url, data)
    assert "cannot go from new to closed" in errors_of(response)
    assert effects(ticket) == before
    assert ticket.subject == "Espresso machine leaks"
    assert not OutboxMessage.objects.exists()


def test_a_valid_ticket_form_with_a_tampered_inline_keeps_nothing(admin, root, customer):
    """The service runs when the form is valid; the admin checks the inlines afterwards. An
    error page there must not leave the service's write behind."""
    ticket, _ = two_equal_tickets(customer, root.support_team)
    url = change_url(ticket)
    data = submitted(admin, url, status="solved")
    data = {k: v for k, v in data.items() if not k.startswith("messages-")}  # no management form
    response = admin.post(url, data)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, ticket.solved_at) == ("new", 1, None)
    assert not ticket.events.filter(kind="status_changed").exists()


def test_an_admin_form_opened_before_a_colleagues_change_is_refused(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    url = change_url(ticket)
    stale = submitted(admin, url, priority=int(Priority.HIGH))
    colleague = UserFactory(username="bob", teams=[root.support_team])
    tickets.ticket_update(ticket=ticket, actor=colleague, status="pending")

    response = admin.post(url, stale)
    assert "changed since you loaded it" in errors_of(response)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status, ticket.version) == (NORMAL, "pending", 2)


def test_assignee_outside_the_team_is_a_form_error(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    outsider = UserFactory(username="olga", teams=[TeamFactory(name="Billing")])
    url = change_url(ticket)
    response = admin.post(url, submitted(admin, url, assignee=outsider.pk))
    assert "olga" in errors_of(response).lower() or "not in team" in errors_of(response)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.version == 1


def test_tags_set_in_the_admin_are_audited_like_the_api(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    existing = tag_objects(["leak", "espresso"])
    url = change_url(ticket)
    response = admin.post(url, submitted(admin, url, tags=[t.pk for t in existing]))
    assert response.status_code == 302, errors_of(response)
    event = ticket.events.get(kind="tags_changed")
    assert (event.before, event.after) == ({"tags": []}, {"tags": ["espresso", "leak"]})
    ticket.refresh_from_db()
    assert ticket.version == 2


def test_fields_no_service_sets_are_read_only_in_the_ticket_admin(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    url = change_url(ticket)
    other = CustomerFactory(name="Mallory")
    data = submitted(admin, url)
    forged = {
        "version": "99",
        "solved_at_0": "2026-01-01",
        "next_due_at_0": "2026-01-01",
        "outside_plan": "on",
        "channel": "phone",
        "requester": str(other.pk),
    }
    for name in forged:
        assert name not in data  # not rendered as inputs at all
    response = admin.post(url, {**data, **forged})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.version, ticket.solved_at, ticket.outside_plan) == (1, None, False)
    assert (ticket.channel, ticket.requester) == ("email", customer)


def test_tickets_are_not_added_or_deleted_in_the_admin_and_history_is_read_only(
    admin, root, customer
):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    message = ticket.messages.get()
    event = ticket.events.get()
    assert admin.get("/admin/tickets/ticket/add/").status_code == 403
    assert (
        admin.post(f"/admin/tickets/ticket/{ticket.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    for model, obj in (("message", message), ("ticketevent", event)):
        assert admin.get(f"/admin/tickets/{model}/add/").status_code == 403
        page = admin.get(f"/admin/tickets/{model}/{obj.pk}/change/")
        assert page.status_code == 200  # view only
        assert b'name="_save"' not in page.content
        assert (
            admin.post(f"/admin/tickets/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
    # the ticket page shows its messages and audit trail without an "add another" row
    page = admin.get(change_url(ticket)).content.decode()
    assert "Water under the machine" in page
    assert 'name="messages-0-body_text"' not in page
    message.refresh_from_db()
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_a_closed_ticket_is_view_only_in_the_admin(admin, root, customer):
    ticket, _ = two_equal_tickets(customer, root.support_team)
    tickets.ticket_update(ticket=ticket, actor=root, status="solved")
    tickets.ticket_update(ticket=ticket, actor=root, status="closed")
    page = admin.get(change_url(ticket))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = admin.post(change_url(ticket), {"subject": "Reopened by hand", "status": "open"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.status, ticket.subject) == ("closed", "Espresso machine leaks")
