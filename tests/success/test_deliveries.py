"""Deliveries: posted by a shop, each schedules one follow-up per matching rule, even when
the shop posts it again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from success.models import Delivery, FollowUp
from tests.conftest import assert_error, client_for
from tests.factories import FollowUpRuleFactory, OrganizationFactory, TierFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/deliveries/"


def test_a_delivery_posted_twice_schedules_each_matching_rule_once(shop, customer):
    welcome = FollowUpRuleFactory(delay_minutes=60 * 24)
    call = FollowUpRuleFactory(action="outreach", delay_minutes=60 * 48)
    FollowUpRuleFactory(trigger="ticket_solved", action="survey")  # another trigger
    FollowUpRuleFactory(active=False)  # inactive
    delivered = timezone.now() - timedelta(hours=1)
    body = {
        "customer_id": customer.pk,
        "external_ref": "ORD-1001",
        "products": ["espresso-machine"],
        "delivered_at": delivered.isoformat(),
    }
    client = client_for(shop)
    first = client.post(URL, body, format="json")
    again = client.post(URL, body, format="json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Delivery.objects.count() == 1
    followups = FollowUp.objects.order_by("rule_id")
    assert [(f.rule_id, f.due_at) for f in followups] == [
        (welcome.pk, delivered + timedelta(days=1)),
        (call.pk, delivered + timedelta(days=2)),
    ]
    assert {f["rule"] for f in first.json()["followups"]} == {welcome.pk, call.pk}


def test_rules_match_on_tier_and_product(shop):
    premium = TierFactory(name="Premium")
    org = OrganizationFactory(tier=premium)
    from tests.factories import CustomerFactory

    vip = CustomerFactory(organization=org, source_integration=shop)
    other = CustomerFactory(source_integration=shop)
    for_premium = FollowUpRuleFactory()
    for_premium.tiers.set([premium])
    for_grinders = FollowUpRuleFactory(products=["grinder"])
    client = client_for(shop)
    client.post(URL, {"customer_id": vip.pk, "external_ref": "A", "products": ["grinder"]})
    client.post(URL, {"customer_id": other.pk, "external_ref": "B", "products": ["kettle"]})

    assert set(FollowUp.objects.filter(customer=vip).values_list("rule", flat=True)) == {
        for_premium.pk,
        for_grinders.pk,
    }
    assert not FollowUp.objects.filter(customer=other).exists()


def test_a_delivery_can_name_its_customer_by_email(shop):
    response = client_for(shop).post(
        URL, {"customer": {"email": "New@Example.com", "name": "Ada"}, "external_ref": "X-1"}
    )
    assert response.status_code == 201
    assert response.json()["customer"]["email"] == "new@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"external_ref": "X"}, "customer"),
        ({"customer": {"email": "a@b.co"}}, "external_ref"),
        ({"customer_id": 999_999, "external_ref": "X"}, "customer_id"),
        ({"customer": {"email": "not-an-email"}, "external_ref": "X"}, "customer.email"),
        ({"customer": {"email": "a@b.co"}, "external_ref": "X", "products": "grinder"}, "products"),
        (
            {
                "customer": {"email": "a@b.co"},
                "external_ref": "X",
                "delivered_at": "2999-01-01T00:00Z",
            },
            "delivered_at",
        ),
    ],
)
def test_bad_deliveries_are_400_and_change_nothing(shop, body, field):
    FollowUpRuleFactory()
    response = client_for(shop).post(URL, body, format="json")
    assert_error(response, 400, field=field)
    assert not Delivery.objects.exists()
    assert not FollowUp.objects.exists()


def test_integrations_see_only_their_deliveries(shop, customer):
    from tests.factories import IntegrationFactory

    other = IntegrationFactory()
    client_for(shop).post(URL, {"customer_id": customer.pk, "external_ref": "MINE"})
    client_for(other).post(URL, {"customer": {"email": "z@z.io"}, "external_ref": "THEIRS"})
    refs = [d["external_ref"] for d in client_for(shop).get(URL).json()["results"]]
    assert refs == ["MINE"]


def test_delivery_list_filters_and_pins_queries(
    shop, customer, manager_client, django_assert_max_num_queries
):
    FollowUpRuleFactory()
    client = client_for(shop)
    for n in range(5):
        client.post(
            URL, {"customer_id": customer.pk, "external_ref": f"R{n}", "products": [f"p{n}"]}
        )
    with django_assert_max_num_queries(8):
        response = manager_client.get(URL)
    assert len(response.json()["results"]) == 5
    assert [
        d["external_ref"] for d in manager_client.get(URL, {"product": "p3"}).json()["results"]
    ] == ["R3"]
