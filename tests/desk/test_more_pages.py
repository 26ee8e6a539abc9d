"""Goodwill, bulk actions and the customer and organization pages of the desk (server side;
the browser flows are in test_more_browser.py). Query counts pinned, constant as rows grow."""

from __future__ import annotations

import pytest

from goodwill.models import Gesture, GestureState, GoodwillLimit
from tests.desk.conftest import desk_client
from tests.factories import CustomerFactory
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(db):
    return GoodwillLimit.objects.create(role="agent", currency="EUR", max_amount=20)


GESTURE = {"kind": "fee_waived", "amount": "12.50", "currency": "EUR", "reason": "Late parcel"}


def test_agent_records_goodwill_within_limit_from_the_ticket_page(desk, make_ticket, limit):
    ticket = make_ticket()
    response = desk.post(f"/desk/tickets/{ticket.pk}/goodwill/", GESTURE, follow=True)
    assert response.status_code == 200
    assert "Goodwill granted: 12.50 EUR." in response.content.decode()
    assert Gesture.objects.get().state == GestureState.GRANTED
    assert 'data-gesture="' in response.content.decode()


def test_above_the_limit_the_page_says_a_manager_decides(desk, make_ticket, limit):
    ticket = make_ticket()
    response = desk.post(
        f"/desk/tickets/{ticket.pk}/goodwill/", {**GESTURE, "amount": "80"}, follow=True
    )
    assert "above your limit" in response.content.decode()
    assert Gesture.objects.get().state == GestureState.PENDING


def test_bad_goodwill_input_writes_nothing(desk, make_ticket, limit):
    ticket = make_ticket()
    response = desk.post(f"/desk/tickets/{ticket.pk}/goodwill/", {**GESTURE, "currency": "ZZZ"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "ISO 4217" in body
    assert "Late parcel" in body  # what the agent typed is kept
    assert not Gesture.objects.exists()


def test_other_team_cannot_record_goodwill(make_ticket, other_agent, limit):
    ticket = make_ticket()
    assert (
        desk_client(other_agent).post(f"/desk/tickets/{ticket.pk}/goodwill/", GESTURE).status_code
        == 404
    )


def test_requests_page_is_for_managers_and_decides(
    desk, manager, make_ticket, agent, limit, django_assert_max_num_queries
):
    from goodwill.services import gesture_record

    for n in range(5):
        gesture_record(
            ticket=make_ticket(f"t{n}"),
            actor=agent,
            kind="refund",
            amount="50",
            currency="EUR",
            reason="Broken",
        )
    assert desk.get("/desk/goodwill/").status_code == 403
    manager_desk = desk_client(manager)
    # session, user, the requests (with ticket, customer, tier, author)
    with django_assert_max_num_queries(5):  # + the agent's time zone
        page = manager_desk.get("/desk/goodwill/")
    assert page.content.decode().count('data-gesture="') == 5
    first = Gesture.objects.order_by("id").first()
    response = manager_desk.post(
        f"/desk/goodwill/{first.pk}/decide/", {"decision": "approve", "note": "ok"}, follow=True
    )
    assert "Approved: 50.00 EUR" in response.content.decode()
    assert Gesture.objects.get(pk=first.pk).state == GestureState.GRANTED
    assert (
        desk.post(f"/desk/goodwill/{first.pk}/decide/", {"decision": "decline"}).status_code == 403
    )


def test_bulk_assign_from_the_queue(desk, agent, make_ticket, team):
    tickets = [make_ticket(f"t{n}") for n in range(3)]
    response = desk.post(
        "/desk/tickets/bulk/",
        {
            "ids": [t.pk for t in tickets[:2]],
            "action": "assign",
            "assignee": agent.pk,
            "next": "/desk/",
        },
        follow=True,
    )
    assert "2 of 2 tickets updated." in response.content.decode()
    assert list(Ticket.objects.filter(assignee=agent).order_by("id")) == tickets[:2]
    assert TicketEvent.objects.filter(kind="assigned", actor_user=agent).count() == 2


def test_bulk_reports_failures_per_ticket(desk, agent, make_ticket):
    ticket = make_ticket()
    response = desk.post(
        "/desk/tickets/bulk/",
        {"ids": [ticket.pk, 999999], "action": "set_status", "status": "pending"},
        follow=True,
    )
    body = response.content.decode()
    assert "1 of 2 tickets updated." in body
    assert "#999999: No such ticket." in body


def test_customer_page_queries_are_constant(desk, make_ticket, customer, django_assert_num_queries):
    for n in range(30):
        make_ticket(f"history {n}")
    identity = customer.identities.first()
    identity.undeliverable_at = identity.created_at
    identity.undeliverable_reason = "550 mailbox unavailable"
    identity.save()
    # session, user, customer, identities, goodwill, the header's toggle, and one query per
    # timeline source an agent reads (tickets, follow-ups, deliveries, poor experiences, the
    # at-risk flag; surveys are managers' and cost none): 11 whatever the history's length
    with django_assert_num_queries(12):  # + the agent's time zone
        response = desk.get(f"/desk/customers/{customer.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-source="ticket"') == 25  # one page
    assert "undeliverable" in body
    assert "Older entries" in body
    older = desk.get(
        f"/desk/customers/{customer.pk}/?cursor=" + body.split("?cursor=")[1].split('"')[0]
    )
    assert older.content.decode().count('data-source="ticket"') == 5


def test_customer_page_is_404_for_customers_of_no_visible_ticket(
    desk, other_agent, make_ticket, customer
):
    make_ticket()
    assert desk.get(f"/desk/customers/{CustomerFactory().pk}/").status_code == 404
    assert desk_client(other_agent).get(f"/desk/customers/{customer.pk}/").status_code == 404


def test_ticket_page_links_the_requester_and_organization(desk, make_ticket, customer):
    ticket = make_ticket()
    body = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f'href="/desk/customers/{customer.pk}/"' in body
    assert f'href="/desk/organizations/{customer.organization_id}/"' in body


def test_organization_page(desk, make_ticket, customer, django_assert_max_num_queries):
    make_ticket()
    with django_assert_max_num_queries(12):
        response = desk.get(f"/desk/organizations/{customer.organization_id}/")
    assert response.status_code == 200
    assert customer.name in response.content.decode()
