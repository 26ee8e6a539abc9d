from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.services import IdentityInput
from tests.factories import CustomerFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_resolve_finds_customer_by_any_identity_and_adds_the_others():
    kim = CustomerFactory(email="kim@example.com")
    found = services.customer_resolve(
        identities=[
            IdentityInput("phone", "+1 415 555 2671"),
            IdentityInput("email", "KIM@example.com"),
        ]
    )
    assert found == kim
    assert kim.identities.filter(kind="phone", value="+14155552671").exists()


def test_resolve_never_steals_an_identity_from_another_customer():
    kim = CustomerFactory(email="kim@example.com")
    lee = CustomerFactory(email="lee@example.com")
    found = services.customer_resolve(
        identities=[
            IdentityInput("email", "kim@example.com"),
            IdentityInput("email", "lee@example.com"),
        ]
    )
    assert found == kim
    assert lee.identities.get().value == "lee@example.com"


def test_resolve_creates_customer_in_organization_of_email_domain():
    acme = OrganizationFactory(domains=["acme.example"])
    customer = services.customer_resolve(
        identities=[IdentityInput("email", "wile@ACME.example")], name="Wile"
    )
    assert (customer.name, customer.organization) == ("Wile", acme)


def test_resolve_without_identity_is_an_error():
    with pytest.raises(ValidationError):
        services.customer_resolve(identities=[])
