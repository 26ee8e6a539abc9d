"""At-risk episodes follow the customers' health rows; reports read the replica when set."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from reports.db import report_database
from reports.models import AtRiskEpisode
from reports.routers import ReportsReplicaRouter
from reports.services import at_risk_episodes_sync
from success.models import CustomerHealth
from tests.factories import CustomerFactory, TierFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 2, 9, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 3, 9, tzinfo=UTC)


def test_a_flag_opens_one_episode_with_its_causes_and_a_recovery_closes_it():
    gold = TierFactory(name="Gold")
    customer = CustomerFactory(tier=gold)
    health = CustomerHealth.objects.create(
        customer=customer,
        at_risk=True,
        at_risk_since=MONDAY,
        reasons=[{"kind": "reopened", "source": "t:1"}, {"kind": "low_csat", "source": "s:1"}],
    )
    assert at_risk_episodes_sync() == {"flagged": 1, "recovered": 0}
    assert at_risk_episodes_sync() == {"flagged": 0, "recovered": 0}  # idempotent
    episode = AtRiskEpisode.objects.get()
    assert (episode.flagged_at, episode.causes, episode.tier) == (
        MONDAY,
        ["low_csat", "reopened"],
        gold,
    )
    health.at_risk, health.at_risk_since = False, None
    health.save()
    with time_machine.travel(TUESDAY, tick=False):
        assert at_risk_episodes_sync() == {"flagged": 0, "recovered": 1}
    episode.refresh_from_db()
    assert episode.recovered_at == TUESDAY


def test_a_customer_flagged_again_gets_a_second_episode():
    customer = CustomerFactory()
    health = CustomerHealth.objects.create(customer=customer, at_risk=True, at_risk_since=MONDAY)
    at_risk_episodes_sync()
    health.at_risk_since = TUESDAY  # recovered and flagged again between two sweeps
    health.save()
    with time_machine.travel(TUESDAY, tick=False):
        assert at_risk_episodes_sync() == {"flagged": 1, "recovered": 1}
    assert list(
        AtRiskEpisode.objects.order_by("flagged_at").values_list("recovered_at", flat=True)
    ) == [
        TUESDAY,
        None,
    ]


def test_reports_read_the_primary_without_a_replica():
    assert report_database() == "default"


def test_reports_read_the_replica_when_one_is_configured(settings, monkeypatch):
    # What settings.py adds when DATABASE_REPLICA_URL is set (never connected to here).
    monkeypatch.setitem(settings.DATABASES, "replica", {**settings.DATABASES["default"]})
    assert report_database() == "replica"
    router = ReportsReplicaRouter()
    assert router.db_for_read(AtRiskEpisode) == "replica"
    assert router.db_for_read(CustomerHealth) is None  # other apps keep reading the primary
    assert router.db_for_write(AtRiskEpisode) == "default"
    assert router.allow_migrate("replica", "reports") is False
    assert router.allow_migrate("default", "reports") is True


def test_beat_runs_the_episode_sweep_as_a_task(settings):
    from reports.tasks import at_risk_episodes_sync as task

    entry = settings.CELERY_BEAT_SCHEDULE["reports-at-risk-episodes"]
    assert entry["task"] == task.name
    CustomerHealth.objects.create(customer=CustomerFactory(), at_risk=True, at_risk_since=MONDAY)
    assert task.delay().get() == {"flagged": 1, "recovered": 0}
