"""The active follow-up rules are read once per process (success.services.ACTIVE_RULES): a
change made in this process is seen at once, one made elsewhere within
FOLLOWUP_RULES_CACHE_SECONDS."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from success.models import FollowUpRule, Trigger
from success.services import rules_matching, rules_wait_for
from tests.factories import CustomerFactory, FollowUpRuleFactory, TierFactory

pytestmark = pytest.mark.django_db


def _names(customer, trigger=Trigger.DELIVERY) -> list[str]:
    return [rule.name for rule in rules_matching(trigger=trigger, customer=customer)]


def test_rules_are_read_once_and_follow_changes_made_here(settings):
    settings.FOLLOWUP_RULES_CACHE_SECONDS = 3600
    gold = TierFactory(name="Gold")
    customer = CustomerFactory(tier=gold)
    FollowUpRuleFactory(name="Welcome")
    assert _names(customer) == ["Welcome"]
    with CaptureQueriesContext(connection) as queries:
        assert _names(customer) == ["Welcome"]
        assert not rules_wait_for(Trigger.TICKET_SOLVED)
    assert not [q for q in queries.captured_queries if "followups_followuprule" in q["sql"]]

    # saved, their tiers changed, deleted: here, seen at once
    silver_only = FollowUpRuleFactory(name="Silver tips")
    assert _names(customer) == ["Silver tips", "Welcome"]
    silver_only.tiers.add(TierFactory(name="Silver"))
    assert _names(customer) == ["Welcome"]
    silver_only.tiers.add(gold)
    assert _names(customer) == ["Silver tips", "Welcome"]
    FollowUpRuleFactory(name="Survey", trigger=Trigger.TICKET_SOLVED, action="survey")
    assert rules_wait_for(Trigger.TICKET_SOLVED)
    silver_only.delete()
    assert _names(customer) == ["Welcome"]


def test_a_change_made_elsewhere_is_seen_within_the_cache_time(settings):
    settings.FOLLOWUP_RULES_CACHE_SECONDS = 3600
    customer = CustomerFactory()
    FollowUpRuleFactory(name="Welcome")
    assert _names(customer) == ["Welcome"]
    # another process's change: no signal here
    FollowUpRule.objects.filter(name="Welcome").update(active=False)
    assert _names(customer) == ["Welcome"]
    settings.FOLLOWUP_RULES_CACHE_SECONDS = 0
    assert _names(customer) == []
