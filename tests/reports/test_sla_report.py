"""GET /api/v1/reports/sla/ on the constructed world (tests/reports/conftest.py): every
expected figure below was worked out by hand from that construction."""

from __future__ import annotations

import pytest

from tests.conftest import client_for

from .conftest import WEEK

pytestmark = pytest.mark.django_db


@pytest.fixture
def sla(world, frozen):
    def get(**params):
        response = client_for(world.users["mona"]).get("/api/v1/reports/sla/", {**WEEK, **params})
        assert response.status_code == 200, response.content
        return response.json()

    return get


def test_first_response_compliance_counts_met_breached_and_running_with_times(sla):
    first = sla()["metrics"]["first_response"]
    # met: T1, T3, T4; breached: T2 (answered after its due time); T5 is before the window.
    assert (first["met"], first["breached"], first["running"]) == (3, 1, 0)
    assert first["compliance"] == 75.0
    # business 10, 30, 50, 60 -> p50 40, p90 50 + 0.7 x 10; calendar 10, 30, 50, 120.
    assert first["business_minutes"] == {"p50": 40.0, "p90": 57.0}
    assert first["calendar_minutes"] == {"p50": 40.0, "p90": 99.0}


def test_resolution_compliance_keeps_running_clocks_out_of_the_rate(sla):
    resolution = sla()["metrics"]["resolution"]
    assert (resolution["met"], resolution["breached"], resolution["running"]) == (1, 1, 1)
    assert resolution["compliance"] == 50.0
    assert resolution["business_minutes"] == {"p50": 120.0, "p90": 120.0}
    assert resolution["calendar_minutes"] == {"p50": 240.0, "p90": 240.0}
    assert sla()["metrics"]["next_response"]["total"] == 0


def test_first_response_by_tier_team_channel_and_priority(sla):
    by = sla()["by"]

    def counts(dimension):
        return {
            row[dimension]: (row["met"], row["breached"]) for row in by[dimension]["first_response"]
        }

    assert counts("tier") == {"Gold": (1, 1), "Basic": (1, 0), None: (1, 0)}
    assert counts("team") == {"Support": (1, 1), "Billing": (2, 0)}
    assert counts("channel") == {"email": (2, 0), "chat": (0, 1), "phone": (1, 0)}
    assert counts("priority") == {"high": (1, 0), "normal": (1, 1), "low": (1, 0)}


def test_series_has_every_day_of_the_window(sla):
    series = sla()["by"]["period"]["first_response"]
    assert [row["period"] for row in series] == [f"2026-11-0{d}" for d in range(2, 9)]
    assert [(row["met"], row["breached"]) for row in series] == [
        (1, 0), (1, 1), (0, 0), (1, 0), (0, 0), (0, 0), (0, 0),
    ]  # fmt: skip
    weekly = sla(period="week")["by"]["period"]["first_response"]
    assert [(row["period"], row["met"], row["breached"]) for row in weekly] == [
        ("2026-11-02", 3, 1)
    ]


def test_breaches_by_tier_and_escalation_level(sla):
    breaches = sla()["breaches"]
    assert {row["tier"]: row["breaches"] for row in breaches["by_tier"]} == {"Gold": 1, "Basic": 1}
    assert breaches["by_escalation_level"] == [
        {"level": 1, "breaches": 1},
        {"level": 2, "breaches": 1},
    ]


def test_tier_filter_reads_the_organizations_tier_for_customers_without_their_own(sla, world):
    report = sla(tier=world.tiers["basic"].pk)
    assert report["metrics"]["first_response"]["met"] == 1  # T3 only (c2 via Basic Corp)
    assert report["metrics"]["resolution"]["breached"] == 1
    gold = sla(tier=world.tiers["gold"].pk, channel="chat")["metrics"]["first_response"]
    assert (gold["met"], gold["breached"]) == (0, 1)  # T2
