from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from slas.models import SlaClock, SlaPolicy, SlaTier
from tickets.models import Team, Ticket

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prints_a_working_integration_token():
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert SlaTier.objects.count() == 4
    tiers = {t.name: t for t in SlaTier.objects.select_related("policy")}
    assert tiers["Self-service"].channels == ["email"]
    assert tiers["Standard"].channels == ["email", "chat"]
    assert set(tiers["Enterprise"].channels) >= {"email", "chat", "phone", "social"}
    first_response = {
        name: tier.policy.targets.get(metric="first_response", priority=2).minutes
        for name, tier in tiers.items()
    }
    assert (
        first_response["Self-service"]
        > first_response["Standard"]
        > first_response["Premium"]
        > first_response["Enterprise"]
    )
    assert SlaPolicy.objects.filter(is_current=True).count() == 4
    assert SlaClock.objects.exists()  # the demo tickets are measured
    assert Team.objects.filter(is_default=True).count() == 1
    assert Ticket.objects.count() == 4
    # a help center to try: published articles in English and Russian
    from knowledge.models import Article

    assert Article.objects.filter(status="published").count() >= 4
    # one active channel of each kind, once however often the command runs
    from tickets.channels.models import Channel

    assert sorted(Channel.objects.filter(is_active=True).values_list("kind", flat=True)) == sorted(
        ["email", "chat", "phone", "social", "web"]
    )
    key = re.search(r"(hd_\S+)", out.getvalue()).group(1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(
        "/api/v1/tickets/",
        {"subject": "From curl", "body": "Hello", "requester": {"email": "new@example.com"}},
        format="json",
    )
    assert response.status_code == 201
    assert len(client.get("/api/v1/tickets/").json()["results"]) == 5


def test_seed_demo_follow_up_rules_follow_the_hybrid_model():
    from success.models import FollowUpRule

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    by_action = {
        (rule.trigger, rule.action): {t.name for t in rule.tiers.all()}
        for rule in FollowUpRule.objects.prefetch_related("tiers")
    }
    assert by_action[("delivery", "email")] == {"Self-service", "Standard"}
    assert by_action[("delivery", "outreach")] == {"Premium", "Enterprise"}
    assert ("ticket_solved", "survey") in by_action
    assert ("customer_at_risk", "outreach") in by_action
    assert FollowUpRule.objects.count() == 4
