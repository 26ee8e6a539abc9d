"""The hand-written identity reads (customers.identity_reads) answer what the ORM queries
they replace answer: the same rows, values, related objects and `submitted` flags."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Subquery, Value
from django.test.utils import CaptureQueriesContext

from customers.identity_reads import hold_visible_identities, matching_identities
from customers.models import CustomerIdentity, IdentitySubmission
from customers.selectors import identities_visible_to
from customers.services import IdentityInput, customer_resolve
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


def _row(identity) -> dict:
    """What the identity's row holds (the serializer reads these), annotations aside."""
    return {f.attname: getattr(identity, f.attname) for f in CustomerIdentity._meta.concrete_fields}


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
    held = (
        CustomerIdentity.objects.filter(customer=OuterRef("customer"))
        .values("customer")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        query.select_related("customer__organization")
        .annotate(submitted=submitted, customer_identities=Subquery(held))
        .order_by("id")
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
    # every identity boris has: all in hand once resolved
    [IdentityInput("email", "boris@example.com"), IdentityInput("social", "boris", "telegram")],
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


@pytest.mark.parametrize("items", QUERIES)
@pytest.mark.parametrize("who", ["shop", "chat", None])
@pytest.mark.parametrize("viewer", ["same", "other integration", "agent", "anonymous"])
def test_a_resolved_customer_shows_what_the_selectors_rule_shows(world, items, who, viewer):
    """customer_resolve may leave every identity of its customer in hand (identities_held):
    the visible ones are then answered without a read, and must be what a read answers."""
    integration = world[who] if who else None
    customer = customer_resolve(identities=items, source_integration=integration)
    user = {
        "same": lambda: integration or UserFactory(),
        "other integration": lambda: world["shop" if who == "chat" else "chat"],
        "agent": UserFactory,
        "anonymous": AnonymousUser,
    }[viewer]()
    expected = list(identities_visible_to(user).filter(customer=customer).order_by("id"))
    with CaptureQueriesContext(connection) as queries:
        hold_visible_identities(customer, user)
        shown = list(customer.identities.all())
    assert [_row(i) for i in shown] == [_row(i) for i in expected]
    assert all(i.customer is customer for i in shown)
    held_whole = getattr(customer, "_identities_held", None) is not None
    may_use_held = user.is_authenticated and (user.is_agent or viewer == "same")
    assert len(queries) == (0 if viewer == "anonymous" or (held_whole and may_use_held) else 1)


def test_a_customer_with_an_identity_not_named_is_read(world):
    """anna has an email and a phone: naming the email alone leaves her phone out of hand."""
    customer = customer_resolve(
        identities=[IdentityInput("email", "anna@acme.example")], source_integration=None
    )
    assert getattr(customer, "_identities_held", None) is None
    fresh = customer_resolve(identities=[IdentityInput("email", "new@example.org")])
    assert [i.value for i in fresh._identities_held[1]] == ["new@example.org"]
