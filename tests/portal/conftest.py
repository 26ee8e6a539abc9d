"""Portal fixtures: customers with tickets, and Django test clients carrying a portal session
(the portal's own signed cookie, exactly what signing in through a link sets)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from portal.auth import COOKIE
from portal.models import PortalSignIn
from portal.services import session_token
from slas.models import Metric
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    OrganizationFactory,
    PolicyFactory,
    TierFactory,
)
from tickets import services as ticket_services
from tickets.models import ChannelKind, Priority

LINK = re.compile(r"https?://\S+/portal/sign-in/(\S+)/")


@pytest.fixture
def tier(db):
    policy = PolicyFactory(
        calendar=CalendarFactory(),
        calendar_targets={
            (Metric.FIRST_RESPONSE, Priority.NORMAL): 60,
            (Metric.NEXT_RESPONSE, Priority.NORMAL): 120,
            (Metric.RESOLUTION, Priority.NORMAL): 480,
        },
    )
    return TierFactory(name="Business", policy=policy, channels=["email", "chat", "web"])


@pytest.fixture
def organization(tier):
    return OrganizationFactory(name="Acme Logistics", tier=tier)


@pytest.fixture
def customer(organization):
    return CustomerFactory(name="Kim Lee", email="kim@acme.example", organization=organization)


@pytest.fixture
def colleague(organization):
    return CustomerFactory(name="Ravi Rao", email="ravi@acme.example", organization=organization)


@pytest.fixture
def stranger(db):
    return CustomerFactory(name="Sam Stone", email="sam@elsewhere.example")


@pytest.fixture
def open_ticket(team):
    def make(requester, subject="Parcel arrived damaged", channel=ChannelKind.EMAIL, **kwargs):
        return ticket_services.ticket_create(
            requester=requester,
            subject=subject,
            body="The box was crushed and the lamp inside is broken.",
            channel=channel,
            team=team,
            **kwargs,
        )

    return make


def portal_client(customer, **kwargs) -> Client:
    """A browser signed in to the portal as `customer` (and nothing else)."""
    now = timezone.now()
    sign_in = PortalSignIn.objects.create(
        customer=customer,
        email=customer.primary_email,
        expires_at=now,
        used_at=now,
    )
    client = Client(**kwargs)
    client.cookies[COOKIE] = session_token(sign_in)
    return client


@pytest.fixture
def portal(customer):
    return portal_client(customer)


def link_token_from(mail_body: str) -> str:
    match = LINK.search(mail_body)
    assert match, mail_body
    return match.group(1)
