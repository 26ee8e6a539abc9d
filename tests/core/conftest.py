"""The world of the admin-rules tests: a superuser with a default team, a customer measured
by a 24/7 policy, a survey rule, a webhook subscription."""

from __future__ import annotations

import pytest
from django.test import Client

from slas.models import Metric
from tests.core.admin_pages import NORMAL, URGENT
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    FollowUpRuleFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TierFactory,
    UserFactory,
)
from webhooks.subscriptions import subscription_create


@pytest.fixture
def root(db):
    team = TeamFactory(name="Support", is_default=True)
    user = UserFactory(
        username="root", is_staff=True, is_superuser=True, role="manager", teams=[team]
    )
    user.support_team = team
    return user


@pytest.fixture
def admin(root) -> Client:
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def customer(db):
    policy = PolicyFactory(
        name="Standard",
        calendar=CalendarFactory(name="24/7"),
        calendar_targets={
            (Metric.FIRST_RESPONSE, NORMAL): 60,
            (Metric.RESOLUTION, NORMAL): 480,
            (Metric.FIRST_RESPONSE, URGENT): 15,
            (Metric.RESOLUTION, URGENT): 60,
        },
    )
    tier = TierFactory(name="Standard", rank=10, policy=policy)
    return CustomerFactory(name="Kim", organization=OrganizationFactory(name="Acme", tier=tier))


@pytest.fixture
def survey_rule(db):
    return FollowUpRuleFactory(
        trigger="ticket_solved", action="survey", delay_minutes=30, subject="", body=""
    )


@pytest.fixture
def subscribed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    return subscription_create(name="CRM", url="https://127.0.0.1/hooks", events=["ticket.updated"])
