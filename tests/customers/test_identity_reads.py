"""The hand-written identity reads (customers.identity_reads) answer what the ORM queries
they replace answer: the same rows, values, related objects and `submitted` flags."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, Value
from django.test.utils import CaptureQueriesContext

from customers.identity_reads import hold_visible_identities, matching_identities
from customers.models import CustomerIdentity, IdentitySubmission
from customers.selectors import identities_visible_to
from customers.services import IdentityInput
from tests.factories import (
    CustomerFactory,
    IntegrationFactory,
    ManagerFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _state(obj) -> dict:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def _orm_matching(items, integration) -> list[CustomerIdentity]:
    """The ORM statement matching_identities replaced."""
    query = None
    for item in items:
        one = CustomerIdentity.objects.filter(
            kind=item.kind, platform=item.platform, value=item.value
        )
        query = one if query is None else query | one
    submitted = (
        Exists(IdentitySubmission.objects.filter(identity=OuterRef("pk"), integration=integration))
        if integration is not None
        else Value(True)
    )
    return list(
        query.select_related("customer__organization").annotate(submitted=submitted).order_by("id")
    )


@pytest.fixture
def world():
    shop, chat = IntegrationFactory(), IntegrationFactory()
    org = OrganizationFactory(notes="key account")
    anna = CustomerFactory(email="anna@acme.example", organization=org, locale="lv")
    boris = CustomerFactory(email="boris@example.com", name="")
    phone = CustomerIdentity.objects.create(customer=anna, kind="phone", value="+37120000000")
    handle = CustomerIdentity.objects.create(
        customer=boris, kind="social", platform="telegram", value="boris"
    )
    IdentitySubmission.objects.create(identity=phone, integration=shop)
    IdentitySubmission.objects.create(identity=handle, integration=chat)
    IdentitySubmission.objects.create(identity=anna.identities.get(kind="email"), integration=chat)
    return {"shop": shop, "chat": chat, "anna": anna, "boris": boris}


QUERIES = [
    [IdentityInput("email", "anna@acme.example")],
    [IdentityInput("email", "nobody@example.com")],
    [IdentityInput("social", "boris", "telegram"), IdentityInput("email", "anna@acme.example")],
    [IdentityInput("social", "boris", "whatsapp")],  # same value, other platform: no match
    [
        IdentityInput("phone", "+37120000000"),
        IdentityInput("email", "boris@example.com"),
        IdentityInput("email", "new@example.com"),
    ],
]


@pytest.mark.parametrize("items", QUERIES)
@pytest.mark.parametrize("who", ["shop", "chat", None])
def test_matching_identities_equal_the_orm_answer(world, items, who):
    integration = world[who] if who else None
    expected = _orm_matching(items, integration)
    with CaptureQueriesContext(connection) as queries:
        found = matching_identities(items, integration)
        related = [(i.customer, i.customer.organization) for i in found]
    assert len(queries) == 1
    assert [_state(i) for i in found] == [_state(i) for i in expected]
    assert [i.submitted for i in found] == [i.submitted for i in expected]
    assert [(_state(c), o and _state(o)) for c, o in related] == [
        (_state(i.customer), i.customer.organization and _state(i.customer.organization))
        for i in expected
    ]


def test_found_identities_save_as_loaded_rows(world):
    identity = matching_identities([IdentityInput("email", "anna@acme.example")], None)[0]
    identity.customer.name = "Anna Bērziņa"
    identity.customer.save(update_fields=["name"])
    world["anna"].refresh_from_db()
    assert world["anna"].name == "Anna Bērziņa"
    assert CustomerIdentity.objects.count() == 4  # saved as an update, not a new row


@pytest.mark.parametrize("who", ["shop", "chat", "agent", "manager", "anonymous"])
@pytest.mark.parametrize("customer", ["anna", "boris"])
def test_visible_identities_follow_the_selectors_rule(world, who, customer):
    user = {
        "agent": UserFactory,
        "manager": ManagerFactory,
        "anonymous": AnonymousUser,
    }.get(who, lambda: world[who])()
    held = world[customer]
    expected = list(identities_visible_to(user).filter(customer=held))
    with CaptureQueriesContext(connection) as queries:
        hold_visible_identities(held, user)
        shown = list(held.identities.all())
        customers = [i.customer for i in shown]
    assert len(queries) == (0 if who == "anonymous" else 1)
    assert [_state(i) for i in shown] == [_state(i) for i in expected]
    assert all(c is held for c in customers)
    if who in ("agent", "manager"):
        assert len(shown) == held.identities.model.objects.filter(customer=held).count()
