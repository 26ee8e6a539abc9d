from __future__ import annotations

import pytest

from customers.models import Customer, CustomerIdentity, Organization
from tests.conftest import assert_error
from tests.factories import CustomerFactory, OrganizationFactory, TicketFactory, TierFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def test_create_customer_normalizes_identities(integration_client, integration):
    response = integration_client.post(
        URL,
        {
            "name": "Kim",
            "identities": [
                {"kind": "email", "value": " Kim@Example.COM "},
                {"kind": "phone", "value": "+1 (415) 555-2671"},
                {"kind": "social", "platform": "Twitter", "value": "@KimK"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["email"] == "kim@example.com"
    assert {(i["kind"], i["platform"], i["value"]) for i in data["identities"]} == {
        ("email", "", "kim@example.com"),
        ("phone", "", "+14155552671"),
        ("social", "twitter", "kimk"),
    }
    assert Customer.objects.get().source_integration == integration


def test_identity_already_taken_is_400_and_creates_nothing(agent_client):
    CustomerFactory(email="kim@example.com")
    response = agent_client.post(
        URL, {"identities": [{"kind": "email", "value": "KIM@example.com"}]}, format="json"
    )
    assert_error(response, 400, field="identities.0.value")
    assert Customer.objects.count() == 1


def test_customer_needs_an_identity(agent_client):
    assert_error(agent_client.post(URL, {"name": "Nobody"}, format="json"), 400, field="identities")


@pytest.mark.parametrize(
    ("kind", "value"), [("email", "nope"), ("phone", "12"), ("fax", "123"), ("social", "@x")]
)
def test_bad_identity_is_400(agent_client, kind, value):
    response = agent_client.post(
        URL, {"identities": [{"kind": kind, "value": value}]}, format="json"
    )
    assert_error(response, 400)
    assert not Customer.objects.exists()


def test_filter_customers_by_email_and_phone_any_spelling(agent_client):
    kim = CustomerFactory(email="kim@example.com")
    CustomerIdentity.objects.create(customer=kim, kind="phone", value="+442079460958")
    CustomerFactory()
    assert [
        c["id"] for c in agent_client.get(URL, {"email": "KIM@example.com"}).json()["results"]
    ] == [kim.pk]
    assert [
        c["id"] for c in agent_client.get(URL, {"phone": "+44 (0)20 7946 0958"}).json()["results"]
    ] == [kim.pk]


def test_integration_sees_only_its_customers(integration_client, integration, other_integration):
    own = CustomerFactory(source_integration=integration)
    via_ticket = TicketFactory(source_integration=integration).requester
    theirs = CustomerFactory(source_integration=other_integration)
    ids = {c["id"] for c in integration_client.get(URL).json()["results"]}
    assert ids == {own.pk, via_ticket.pk}
    assert_error(integration_client.get(f"{URL}{theirs.pk}/"), 404)


def test_agent_updates_customer_and_adds_identity(agent_client):
    customer = CustomerFactory(name="K")
    org = OrganizationFactory()
    response = agent_client.patch(
        f"{URL}{customer.pk}/",
        {
            "name": "Kim",
            "organization": org.pk,
            "identities": [{"kind": "phone", "value": "+14155552671"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Kim"
    assert response.json()["organization"]["id"] == org.pk
    assert len(response.json()["identities"]) == 2


def test_integration_cannot_update_customers(integration_client, integration):
    customer = CustomerFactory(source_integration=integration)
    assert_error(
        integration_client.patch(f"{URL}{customer.pk}/", {"name": "x"}, format="json"), 403
    )


@pytest.mark.parametrize("rows", [2, 20])
def test_customer_list_query_count_is_constant(agent_client, rows, django_assert_max_num_queries):
    for _ in range(rows):
        CustomerFactory(organization=OrganizationFactory())
    with django_assert_max_num_queries(4):
        assert len(agent_client.get(URL, {"page_size": 50}).json()["results"]) == rows


# --- organizations ----------------------------------------------------------------------------


def test_manager_creates_organization_with_domains_and_tier(manager_client):
    tier = TierFactory(name="Premium")
    response = manager_client.post(
        "/api/v1/organizations/",
        {"name": "Acme", "domains": ["Acme.example", "acme.test"], "tier": tier.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["domains"]) == ["acme.example", "acme.test"]
    assert response.json()["tier"] == tier.pk


def test_domain_of_another_organization_is_400(manager_client):
    OrganizationFactory(name="Acme", domains=["acme.example"])
    response = manager_client.post(
        "/api/v1/organizations/", {"name": "Copy", "domains": ["acme.example"]}, format="json"
    )
    assert_error(response, 400, field="domains")
    assert Organization.objects.count() == 1


def test_duplicate_organization_name_is_400(manager_client):
    OrganizationFactory(name="Acme")
    assert_error(
        manager_client.post("/api/v1/organizations/", {"name": "Acme"}, format="json"),
        400,
        field="name",
    )


def test_manager_updates_domains(manager_client):
    org = OrganizationFactory(domains=["old.example"])
    response = manager_client.patch(
        f"/api/v1/organizations/{org.pk}/", {"domains": ["new.example"]}, format="json"
    )
    assert response.json()["domains"] == ["new.example"]


def test_agent_reads_but_cannot_write_organizations(agent_client):
    org = OrganizationFactory()
    assert agent_client.get("/api/v1/organizations/").status_code == 200
    assert_error(agent_client.post("/api/v1/organizations/", {"name": "X"}, format="json"), 403)
    assert_error(
        agent_client.patch(f"/api/v1/organizations/{org.pk}/", {"name": "X"}, format="json"), 403
    )


def test_integration_cannot_list_organizations(integration_client):
    assert_error(integration_client.get("/api/v1/organizations/"), 403)


@pytest.mark.parametrize("rows", [2, 20])
def test_organization_list_query_count_is_constant(
    agent_client, rows, django_assert_max_num_queries
):
    for i in range(rows):
        OrganizationFactory(domains=[f"d{i}.example"], tier=TierFactory())
    with django_assert_max_num_queries(4):
        assert (
            len(agent_client.get("/api/v1/organizations/", {"page_size": 50}).json()["results"])
            == rows
        )
