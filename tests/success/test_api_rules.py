"""Follow-up rules through the API: managers write, bad rules are refused with field errors."""

from __future__ import annotations

import pytest

from success.models import FollowUp, FollowUpRule
from tests.conftest import assert_error
from tests.factories import FollowUpRuleFactory, TierFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/followup-rules/"


def test_manager_creates_a_rule_for_the_top_tiers(manager_client, team):
    premium, enterprise = TierFactory(name="Premium"), TierFactory(name="Enterprise")
    response = manager_client.post(
        URL,
        {
            "name": "Personal call after delivery",
            "trigger": "delivery",
            "action": "outreach",
            "tiers": [premium.pk, enterprise.pk],
            "delay_minutes": 2 * 24 * 60,
            "team": team.pk,
            "subject": "Call {{ customer.name }}",
            "quiet_days": 14,
        },
    )
    assert response.status_code == 201, response.content
    rule = FollowUpRule.objects.get()
    assert set(rule.tiers.all()) == {premium, enterprise}
    assert (rule.quiet_days, rule.outreach_channel) == (14, "phone")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"trigger": "delivery", "action": "email", "body": "{% if %}"}, "body"),
        (
            {"trigger": "delivery", "action": "email", "body": "x", "subject": "{{ x|nope }}"},
            "subject",
        ),
        ({"trigger": "delivery", "action": "survey"}, "action"),
        ({"trigger": "delivery", "action": "email"}, "body"),
        ({"trigger": "delivery", "action": "outreach", "delay_minutes": -5}, "delay_minutes"),
        ({"trigger": "delivery", "action": "outreach", "channels": ["email"]}, "channels"),
        ({"trigger": "ticket_solved", "action": "survey", "products": ["x"]}, "products"),
        ({"trigger": "ticket_solved", "action": "survey", "channels": ["fax"]}, "channels.0"),
        ({"trigger": "whenever", "action": "email", "body": "x"}, "trigger"),
        ({"trigger": "delivery", "action": "outreach", "tiers": [999]}, "tiers"),
    ],
)
def test_bad_rules_are_400_with_the_field(manager_client, body, field):
    response = manager_client.post(URL, {"name": "R", **body}, format="json")
    assert_error(response, 400, field=field)
    assert not FollowUpRule.objects.exists()


def test_a_patch_is_validated_against_the_whole_rule(manager_client):
    rule = FollowUpRuleFactory(trigger="ticket_solved", action="survey", body="")
    response = manager_client.patch(f"{URL}{rule.pk}/", {"trigger": "delivery"}, format="json")
    assert_error(response, 400, field="action")


def test_deleting_a_rule_with_history_deactivates_it(manager_client, shop, customer):
    from django.utils import timezone

    from success.services import delivery_record

    used, unused = FollowUpRuleFactory(), FollowUpRuleFactory(trigger="ticket_solved")
    delivery_record(customer=customer, source=shop, external_ref="A", delivered_at=timezone.now())
    assert manager_client.delete(f"{URL}{used.pk}/").status_code == 204
    assert manager_client.delete(f"{URL}{unused.pk}/").status_code == 204
    assert list(FollowUpRule.objects.values_list("pk", "active")) == [(used.pk, False)]
    assert FollowUp.objects.filter(rule=used).exists()


def test_followups_list_by_state_and_retry_only_failed(manager_client, shop, customer):
    from django.utils import timezone

    from success.services import delivery_record

    FollowUpRuleFactory()
    delivery_record(customer=customer, source=shop, external_ref="A", delivered_at=timezone.now())
    followup = FollowUp.objects.get()
    assert_error(manager_client.post(f"/api/v1/followups/{followup.pk}/retry/"), 400, field="state")
    FollowUp.objects.filter(pk=followup.pk).update(state="failed", attempts=5, error="boom")
    failed = manager_client.get("/api/v1/followups/", {"state": "failed"}).json()["results"]
    assert [(f["id"], f["error"]) for f in failed] == [(followup.pk, "boom")]
    retried = manager_client.post(f"/api/v1/followups/{followup.pk}/retry/").json()
    assert (retried["state"], retried["attempts"]) == ("scheduled", 0)
