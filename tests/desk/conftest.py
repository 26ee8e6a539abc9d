"""Desk fixtures: a tier with an SLA policy (calendar time, so clocks tick in any test hour),
customers on it, and Django test clients signed in by session."""

from __future__ import annotations

import pytest
from django.test import Client

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

TARGETS = {
    (Metric.FIRST_RESPONSE, Priority.NORMAL): 60,
    (Metric.RESOLUTION, Priority.NORMAL): 480,
    (Metric.FIRST_RESPONSE, Priority.HIGH): 30,
    (Metric.RESOLUTION, Priority.HIGH): 240,
    (Metric.FIRST_RESPONSE, Priority.URGENT): 15,
    (Metric.RESOLUTION, Priority.URGENT): 120,
    (Metric.FIRST_RESPONSE, Priority.LOW): 240,
    (Metric.RESOLUTION, Priority.LOW): 960,
}


@pytest.fixture
def tier(db):
    policy = PolicyFactory(calendar=CalendarFactory(), calendar_targets=TARGETS)
    return TierFactory(name="Business", policy=policy, channels=["email", "chat", "web"])


@pytest.fixture
def customer(tier):
    return CustomerFactory(name="Carla Customer", organization=OrganizationFactory(tier=tier))


@pytest.fixture
def make_ticket(customer, team):
    def make(subject="Printer on fire", *, requester=None, team_=None, **kwargs):
        kwargs.setdefault("channel", ChannelKind.EMAIL)
        return ticket_services.ticket_create(
            requester=requester or customer,
            subject=subject,
            body="It is on fire.",
            team=team_ or team,
            **kwargs,
        )

    return make


def desk_client(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def desk(agent):
    return desk_client(agent)
