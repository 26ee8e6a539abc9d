"""Merging two customers: tickets and identities move, audit events are recorded."""

from __future__ import annotations

import pytest

from customers.models import Customer, CustomerIdentity
from customers.services import IdentityInput, customer_create, customer_merge, customer_resolve
from slas.models import SlaClock
from slas.selectors import tier_for
from slas.services import merged_tickets_reapply
from tests.conftest import assert_error
from tests.factories import CustomerFactory, OrganizationFactory, PolicyFactory, TierFactory
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


def test_moved_tickets_take_the_merged_customer_s_organization_tier_and_plan_check(
    manager_client, manager, django_capture_on_commit_callbacks
):
    """Found: after a merge a ticket kept `organization: null`, so no tier, no policy and no
    outside-plan check. A phone-only caller merged into a customer of an email-only tier."""
    policy = PolicyFactory(targets={("first_response", 2): 60})
    tier = TierFactory(name="Self-service", policy=policy, channels=["email", "web"])
    organization = OrganizationFactory(tier=tier)
    target = CustomerFactory(organization=organization)
    source = customer_create(identities=[IdentityInput("phone", "+442079460958")])
    call_ticket = ticket_create(requester=source, subject="Call", body="y", channel="phone")
    assert (call_ticket.organization_id, call_ticket.outside_plan) == (None, False)
    assert not SlaClock.objects.filter(ticket=call_ticket).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            f"/api/v1/customers/{target.pk}/merge/", {"source_id": source.pk}, format="json"
        )

    assert response.status_code == 200, response.content
    call_ticket.refresh_from_db()
    assert (call_ticket.requester_id, call_ticket.organization_id) == (target.pk, organization.pk)
    assert tier_for(call_ticket) == tier
    # Measured with the tier's policy from when it arrived, and the plan check ran.
    clock = SlaClock.objects.get(ticket=call_ticket)
    assert (clock.metric, clock.policy_id, clock.started_at) == (
        "first_response",
        policy.pk,
        call_ticket.created_at,
    )
    assert call_ticket.outside_plan is True
    answers = call_ticket.messages.filter(direction="outbound")
    assert answers.count() == 1
    assert "support by Email, Web" in answers.get().body_text
    event = TicketEvent.objects.get(ticket=call_ticket, kind="requester_merged")
    assert (event.before, event.after) == (
        {"requester": source.pk, "organization": None},
        {"requester": target.pk, "organization": organization.pk},
    )
    # The next message on the moved ticket is not answered a second time.
    with django_capture_on_commit_callbacks(execute=True):
        merged_tickets_reapply(ticket_ids=[call_ticket.pk])
    assert call_ticket.messages.filter(direction="outbound").count() == 1


def test_a_target_without_organization_keeps_the_source_s_and_its_tickets_do_too(
    django_capture_on_commit_callbacks, manager
):
    tier = TierFactory(name="Premium", policy=PolicyFactory(targets={("first_response", 2): 30}))
    organization = OrganizationFactory(tier=tier)
    source = CustomerFactory(organization=organization)
    target = customer_create(identities=[IdentityInput("phone", "+442079460958")])
    own = ticket_create(requester=target, subject="Mine", body="x", channel="phone")
    moved = ticket_create(requester=source, subject="Theirs", body="y", channel="email")
    assert moved.organization_id == organization.pk

    with django_capture_on_commit_callbacks(execute=True):
        merged = customer_merge(source=source, target=target, actor=manager)

    moved.refresh_from_db()
    own.refresh_from_db()
    assert merged.organization_id == organization.pk
    assert (moved.requester_id, moved.organization_id, moved.outside_plan) == (
        target.pk,
        organization.pk,
        False,
    )
    assert tier_for(moved) == tier
    # Only the moved tickets are touched: the target's own keeps what it recorded.
    assert own.organization_id is None
    assert TicketEvent.objects.get(ticket=moved, kind="requester_merged").after == {
        "requester": target.pk
    }
