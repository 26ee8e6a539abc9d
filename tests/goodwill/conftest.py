"""Goodwill fixtures: two tiers (Standard, Enterprise), the limits of the brief (agents up to
20 EUR, up to 100 on Enterprise), and a ticket for a customer on each tier."""

from __future__ import annotations

from decimal import Decimal

import pytest

from goodwill.models import GoodwillLimit
from tests.factories import CustomerFactory, OrganizationFactory, TierFactory
from tickets import services as ticket_services


@pytest.fixture
def tiers(db):
    return TierFactory(name="Standard", rank=10), TierFactory(name="Enterprise", rank=40)


@pytest.fixture
def limits(tiers):
    _standard, enterprise = tiers
    return [
        GoodwillLimit.objects.create(role="agent", tier=None, currency="EUR", max_amount=20),
        GoodwillLimit.objects.create(
            role="agent", tier=enterprise, currency="EUR", max_amount=Decimal("100")
        ),
    ]


def _ticket(tier, team, subject):
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))
    return ticket_services.ticket_create(
        requester=customer, subject=subject, body="Parcel arrived crushed.", team=team
    )


@pytest.fixture
def standard_ticket(tiers, team):
    return _ticket(tiers[0], team, "Crushed parcel")


@pytest.fixture
def enterprise_ticket(tiers, team):
    return _ticket(tiers[1], team, "Late delivery")
