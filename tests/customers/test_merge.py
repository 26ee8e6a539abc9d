"""Merging two customers: tickets and identities move, audit events are recorded."""

from __future__ import annotations

import pytest

from customers.models import Customer, CustomerIdentity
from customers.services import IdentityInput, customer_create, customer_resolve
from tests.conftest import assert_error
from tickets.models import TicketEvent
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(team):
    by_email = customer_create(name="Kim", identities=[IdentityInput("email", "kim@example.com")])
    by_phone = customer_create(identities=[IdentityInput("phone", "+442079460958")])
    email_ticket = ticket_create(requester=by_email, subject="Email", body="x", channel="email")
    call_ticket = ticket_create(requester=by_phone, subject="Call", body="y", channel="phone")
    return by_email, by_phone, email_ticket, call_ticket


def test_manager_merges_two_customers(manager_client, manager, pair):
    target, source, _, call_ticket = pair
    response = manager_client.post(
        f"/api/v1/customers/{target.pk}/merge/", {"source_id": source.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert not Customer.objects.filter(pk=source.pk).exists()
    call_ticket.refresh_from_db()
    assert call_ticket.requester_id == target.pk
    assert call_ticket.messages.get().author_customer_id == target.pk
    assert set(
        CustomerIdentity.objects.filter(customer=target).values_list("value", flat=True)
    ) == {
        "kim@example.com",
        "+442079460958",
    }
    event = TicketEvent.objects.get(ticket=call_ticket, kind="requester_merged")
    assert (event.actor_user, event.before, event.after) == (
        manager,
        {"requester": source.pk},
        {"requester": target.pk},
    )
    # The next call from that number finds the merged customer.
    assert customer_resolve(identities=[IdentityInput("phone", "+44 (0)20 7946 0958")]) == target


def test_merge_into_itself_is_a_400(manager_client, pair):
    target = pair[0]
    response = manager_client.post(
        f"/api/v1/customers/{target.pk}/merge/", {"source_id": target.pk}, format="json"
    )
    assert_error(response, 400, field="source_id")


def test_agents_cannot_merge(agent_client, pair):
    target, source = pair[0], pair[1]
    response = agent_client.post(
        f"/api/v1/customers/{target.pk}/merge/", {"source_id": source.pk}, format="json"
    )
    assert_error(response, 403)
    assert Customer.objects.filter(pk=source.pk).exists()
