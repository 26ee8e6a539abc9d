"""Two integrations, one person: the same customer for the agents, but each integration reads
only what it submitted itself (identities, tickets, deliveries). The cross-integration rows of
the authorization matrix (tests/test_authorization_matrix.py) live here.

The world: integration A ("shop") knows Kim by email and phone and opened a ticket for her;
integration B ("chatwidget") then writes about the same Kim.
"""

from __future__ import annotations

import importlib

import pytest

from customers.models import Customer, CustomerIdentity, IdentitySubmission
from customers.selectors import customers_visible_to
from success.models import Delivery, FollowUp
from tests.conftest import assert_error
from tests.factories import CustomerFactory, FollowUpRuleFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
TICKETS = "/api/v1/tickets/"
CUSTOMERS = "/api/v1/customers/"
DELIVERIES = "/api/v1/deliveries/"


def _ticket(client, requester: dict, subject: str = "Where is my order?"):
    return client.post(
        TICKETS, {"subject": subject, "body": "Hello", "requester": requester}, format="json"
    )


@pytest.fixture
def kim_by_a(integration_client, team):
    """A's ticket for Kim, by email and a phone number spelt the way people type it."""
    response = _ticket(
        integration_client,
        {"name": "Kim Lee", "email": "Kim.Lee@Example.com", "phone": "+44 (0)20 7946 0958"},
        subject="Parcel damaged",
    )
    assert response.status_code == 201, response.content
    return Ticket.objects.get(pk=response.json()["id"])


def _identities(response) -> set[tuple[str, str]]:
    assert response.status_code == 200, response.content
    return {(i["kind"], i["value"]) for i in response.json()["identities"]}


def test_a_ticket_by_another_integrations_customer_email_joins_that_customer(
    kim_by_a, other_integration_client
):
    response = _ticket(other_integration_client, {"email": "  KIM.LEE@example.COM "})

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.requester_id == kim_by_a.requester_id
    assert Customer.objects.count() == 1


def test_the_second_integration_sees_only_the_identity_it_submitted(
    kim_by_a, other_integration_client
):
    _ticket(other_integration_client, {"email": "kim.lee@example.com"})

    customer = other_integration_client.get(f"{CUSTOMERS}{kim_by_a.requester_id}/")

    assert _identities(customer) == {("email", "kim.lee@example.com")}
    assert "+442079460958" not in customer.content.decode()


def test_an_integration_knowing_the_customer_by_phone_never_sees_the_email(
    kim_by_a, other_integration_client
):
    response = _ticket(other_integration_client, {"phone": " +44 20 7946 0958 ", "name": "K"})
    assert response.status_code == 201, response.content

    assert response.json()["requester"]["email"] == ""
    customer = other_integration_client.get(f"{CUSTOMERS}{kim_by_a.requester_id}/")
    assert _identities(customer) == {("phone", "+442079460958")}
    assert customer.json()["email"] == ""
    assert "kim.lee@example.com" not in customer.content.decode()


def test_the_email_filter_only_matches_identities_the_caller_submitted(
    kim_by_a, other_integration_client, agent_client
):
    _ticket(other_integration_client, {"phone": "+442079460958"})

    found = other_integration_client.get(CUSTOMERS, {"email": "kim.lee@example.com"})
    assert found.status_code == 200
    assert found.json()["results"] == []
    by_phone = other_integration_client.get(CUSTOMERS, {"phone": "+44 20 7946 0958"})
    assert [c["id"] for c in by_phone.json()["results"]] == [kim_by_a.requester_id]
    by_agent = agent_client.get(CUSTOMERS, {"email": "KIM.LEE@example.com"})
    assert [c["id"] for c in by_agent.json()["results"]] == [kim_by_a.requester_id]


def test_the_second_integration_cannot_read_the_first_ones_ticket(
    kim_by_a, other_integration_client
):
    own = _ticket(other_integration_client, {"email": "kim.lee@example.com"}).json()

    assert_error(other_integration_client.get(f"{TICKETS}{kim_by_a.pk}/"), 404)
    assert_error(other_integration_client.get(f"{TICKETS}{kim_by_a.pk}/messages/"), 404)
    listed = other_integration_client.get(TICKETS, {"requester": kim_by_a.requester_id})
    assert [t["id"] for t in listed.json()["results"]] == [own["id"]]


def test_the_first_integration_still_sees_what_it_submitted_and_nothing_more(
    kim_by_a, integration_client, other_integration_client
):
    theirs = _ticket(
        other_integration_client,
        {"email": "kim.lee@example.com", "handle": "@kimlee", "platform": "X"},
    ).json()

    customer = integration_client.get(f"{CUSTOMERS}{kim_by_a.requester_id}/")
    assert _identities(customer) == {("email", "kim.lee@example.com"), ("phone", "+442079460958")}
    assert [t["id"] for t in integration_client.get(TICKETS).json()["results"]] == [kim_by_a.pk]
    assert_error(integration_client.get(f"{TICKETS}{theirs['id']}/"), 404)
    assert _identities(other_integration_client.get(f"{CUSTOMERS}{kim_by_a.requester_id}/")) == {
        ("email", "kim.lee@example.com"),
        ("social", "kimlee"),
    }


@pytest.mark.parametrize("staff", ["agent_client", "manager_client"])
def test_staff_see_one_customer_with_every_identity_and_both_tickets(
    kim_by_a, other_integration_client, manager_client, agent_client, staff
):
    theirs = _ticket(
        other_integration_client, {"email": "kim.lee@example.com", "phone": "+14155552671"}
    )
    assert theirs.status_code == 201, theirs.content
    client = {"agent_client": agent_client, "manager_client": manager_client}[staff]

    customer = client.get(f"{CUSTOMERS}{kim_by_a.requester_id}/")
    # +14155552671 belongs to nobody yet, so it joins Kim (B told us it is hers).
    assert _identities(customer) == {
        ("email", "kim.lee@example.com"),
        ("phone", "+442079460958"),
        ("phone", "+14155552671"),
    }
    listed = client.get(TICKETS, {"requester": kim_by_a.requester_id}).json()["results"]
    assert {t["id"] for t in listed} == {kim_by_a.pk, theirs.json()["id"]}


def test_a_new_identity_from_the_second_integration_stays_out_of_the_first_ones_view(
    kim_by_a, integration_client, other_integration_client
):
    _ticket(other_integration_client, {"email": "kim.lee@example.com", "phone": "+14155552671"})

    assert ("phone", "+14155552671") not in _identities(
        integration_client.get(f"{CUSTOMERS}{kim_by_a.requester_id}/")
    )
    assert ("phone", "+14155552671") in _identities(
        other_integration_client.get(f"{CUSTOMERS}{kim_by_a.requester_id}/")
    )


def test_the_first_integrations_ticket_list_shows_the_requester_as_it_knows_her(
    kim_by_a, integration_client, other_integration_client
):
    # Say an agent removed the email A gave; B then names Kim by phone and a new email.
    CustomerIdentity.objects.filter(kind="email").delete()
    _ticket(other_integration_client, {"phone": "+442079460958", "email": "kim@work.example"})

    rows = integration_client.get(TICKETS).json()["results"]
    assert [r["requester"]["email"] for r in rows] == [""]


def test_a_delivery_by_another_integrations_customer_email_joins_but_stays_private(
    kim_by_a, integration, integration_client, other_integration_client
):
    FollowUpRuleFactory(delay_minutes=60)
    mine = integration_client.post(
        DELIVERIES,
        {"customer": {"email": "kim.lee@example.com"}, "external_ref": "A-1"},
        format="json",
    )
    theirs = other_integration_client.post(
        DELIVERIES, {"customer": {"phone": "+442079460958"}, "external_ref": "A-1"}, format="json"
    )

    assert mine.status_code == 201, mine.content
    assert theirs.status_code == 201, theirs.content  # same ref, another integration: its own
    assert {d.customer_id for d in Delivery.objects.all()} == {kim_by_a.requester_id}
    # Kim gets a follow-up for each delivery; each integration sees only its delivery's.
    assert FollowUp.objects.count() == 2
    assert theirs.json()["customer"]["email"] == ""
    listed = other_integration_client.get(DELIVERIES).json()["results"]
    assert [d["id"] for d in listed] == [theirs.json()["id"]]
    assert [f["id"] for f in listed[0]["followups"]] == [
        FollowUp.objects.get(delivery_id=theirs.json()["id"]).pk
    ]
    assert_error(other_integration_client.get(f"{DELIVERIES}{mine.json()['id']}/"), 404)
    assert [d["id"] for d in integration_client.get(DELIVERIES).json()["results"]] == [
        mine.json()["id"]
    ]
    assert_error(other_integration_client.get("/api/v1/followups/"), 403)


def test_a_delivery_by_id_of_a_customer_the_integration_does_not_know_is_a_400(
    kim_by_a, other_integration_client
):
    response = other_integration_client.post(
        DELIVERIES, {"customer_id": kim_by_a.requester_id, "external_ref": "B-1"}, format="json"
    )
    assert_error(response, 400, field="customer_id")
    assert Delivery.objects.count() == 0


def test_an_inbound_call_from_the_customer_shows_the_calling_integration_only_the_number(
    kim_by_a, other_integration_client, team, django_capture_on_commit_callbacks
):
    from tickets.channels.config import channel_save
    from tickets.channels.models import Channel

    channel_save(
        channel=Channel(), kind="phone", name="Hotline", settings={"number": "+442079460000"}
    )
    call = {
        "call_id": "CA42",
        "from_number": "+44 20 7946 0958",
        "started_at": "2026-11-24T10:00:00Z",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = other_integration_client.post("/api/v1/inbound/calls/", call, format="json")
    assert response.status_code == 202, response.content

    ticket = Ticket.objects.exclude(pk=kim_by_a.pk).get()
    assert ticket.requester_id == kim_by_a.requester_id
    assert _identities(other_integration_client.get(f"{CUSTOMERS}{ticket.requester_id}/")) == {
        ("phone", "+442079460958")
    }


def test_merging_keeps_each_integrations_view_of_the_identities_it_submitted(
    integration, other_integration, manager_client, other_integration_client
):
    kim_a = CustomerFactory(email="kim@example.com", source_integration=integration)
    kim_b = CustomerFactory(email="kim.lee@example.org", source_integration=other_integration)

    response = manager_client.post(
        f"{CUSTOMERS}{kim_a.pk}/merge/", {"source_id": kim_b.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    assert _identities(other_integration_client.get(f"{CUSTOMERS}{kim_a.pk}/")) == {
        ("email", "kim.lee@example.org")
    }


def test_integration_customer_list_costs_constant_queries(
    other_integration, other_integration_client, django_assert_max_num_queries
):
    for n in range(20):
        _ticket(
            other_integration_client, {"email": f"c{n}@example.com", "phone": f"+1415555{2600 + n}"}
        )
    with django_assert_max_num_queries(6):
        customers = other_integration_client.get(f"{CUSTOMERS}?page_size=50")
    with django_assert_max_num_queries(6):
        tickets = other_integration_client.get(f"{TICKETS}?page_size=50")
    assert len(customers.json()["results"]) == 20
    assert len(tickets.json()["results"]) == 20


def test_the_migration_keeps_what_integrations_saw_before_it(integration, other_integration):
    from django.apps import apps

    migration = importlib.import_module("customers.migrations.0004_identity_submitted_by")
    kim = CustomerFactory(email="kim@example.com", source_integration=integration)
    CustomerIdentity.objects.create(customer=kim, kind="phone", value="+442079460958")
    CustomerFactory(email="walk-in@example.com")  # no integration: nobody's
    IdentitySubmission.objects.all().delete()  # the rows as they were before the migration

    migration.backfill_submissions(apps, None)

    seen = customers_visible_to(integration).get(pk=kim.pk)
    assert {i.value for i in seen.identities.all()} == {"kim@example.com", "+442079460958"}
    assert not customers_visible_to(other_integration).exists()
    assert IdentitySubmission.objects.count() == 2


def test_repeated_submissions_of_an_identity_are_recorded_once(
    kim_by_a, integration_client, other_integration_client
):
    for _ in range(3):
        _ticket(other_integration_client, {"email": "kim.lee@example.com"})
        _ticket(integration_client, {"phone": "+442079460958"})

    assert sorted(
        IdentitySubmission.objects.values_list("identity__value", "integration__username")
    ) == [
        ("+442079460958", "shop"),
        ("kim.lee@example.com", "chatwidget"),
        ("kim.lee@example.com", "shop"),
    ]
