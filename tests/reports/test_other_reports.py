"""Backlog, satisfaction, success and agents reports on the constructed world
(tests/reports/conftest.py); expected figures worked out by hand from the construction."""

from __future__ import annotations

import pytest

from tests.conftest import client_for

from .conftest import WEEK

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(world, frozen):
    def get(name, **params):
        client = client_for(world.users["mona"])
        response = client.get(f"/api/v1/reports/{name}/", {**WEEK, **params})
        assert response.status_code == 200, response.content
        return response.json()

    return get


def test_backlog_counts_open_tickets_by_status_team_tier_and_age(report):
    backlog = report("backlog")["open"]
    # Open now: T2 (open, Support, Gold, 7 d 3 h), T3 (open, Billing, Basic, 6 d 23 h),
    # T5 (pending, Support, no tier, 11 d).
    assert backlog["total"] == 3
    assert {r["status"]: r["tickets"] for r in backlog["by_status"]} == {
        "new": 0, "open": 2, "pending": 1, "on_hold": 0,
    }  # fmt: skip
    assert {r["team"]: r["tickets"] for r in backlog["by_team"]} == {"Support": 2, "Billing": 1}
    assert {r["tier"]: r["tickets"] for r in backlog["by_tier"]} == {
        "Gold": 1, "Basic": 1, None: 1,
    }  # fmt: skip
    assert {r["age"]: r["tickets"] for r in backlog["by_age"]} == {
        "under_1d": 0, "1d_3d": 0, "3d_7d": 1, "7d_30d": 2, "over_30d": 0,
    }  # fmt: skip


def test_backlog_flow_reopen_rate_one_touch_and_pending_time(report):
    backlog = report("backlog")
    assert [(r["period"], r["created"], r["solved"]) for r in backlog["flow"]] == [
        ("2026-11-02", 1, 1), ("2026-11-03", 2, 0), ("2026-11-04", 0, 0),
        ("2026-11-05", 1, 1), ("2026-11-06", 0, 0), ("2026-11-07", 0, 0), ("2026-11-08", 0, 0),
    ]  # fmt: skip
    # Created in the window: T1-T4; solved now: T1, T4; ever solved: T1, T3, T4; T3 reopened.
    assert (backlog["created"], backlog["resolved"], backlog["reopened"]) == (4, 2, 1)
    assert backlog["reopen_rate"] == 33.3
    # One public agent reply and never reopened: T1 (T4 had two replies).
    assert (backlog["one_touch"], backlog["one_touch_rate"]) == (1, 50.0)
    # Pending: T2 60 min, T4 30 min.
    assert backlog["pending"] == {
        "tickets": 2, "total_minutes": 90.0, "p50_minutes": 45.0, "p90_minutes": 57.0,
    }  # fmt: skip


def test_satisfaction_keeps_its_documented_totals_and_adds_breakdowns(report, world):
    satisfaction = report("satisfaction")
    # Sent in the window: S1 (5/2/10), S2 (2/6/3), S3 (unanswered); S4 before the window.
    assert {k: satisfaction[k] for k in ("surveys_sent", "answers", "csat", "ces", "nps")} == {
        "surveys_sent": 3, "answers": 2, "csat": 62.5, "ces": 50.0, "nps": 0.0,
    }  # fmt: skip
    assert satisfaction["response_rate"] == 66.7
    assert (satisfaction["promoters"], satisfaction["detractors"]) == (1, 1)
    by_tier = {r["tier"]: r for r in satisfaction["by"]["tier"]}
    assert (by_tier["Gold"]["csat"], by_tier["Gold"]["ces"], by_tier["Gold"]["nps"]) == (
        100.0, 16.7, 100.0,
    )  # fmt: skip
    assert (by_tier["Basic"]["surveys_sent"], by_tier["Basic"]["csat"]) == (1, None)
    assert (by_tier[None]["csat"], by_tier[None]["ces"], by_tier[None]["nps"]) == (
        25.0, 83.3, -100.0,
    )  # fmt: skip
    by_agent = {
        r["agent"]: (r["surveys_sent"], r["answers"], r["csat"])
        for r in satisfaction["by"]["agent"]
    }
    assert by_agent == {"alice": (2, 2, 62.5), "bob": (1, 0, None)}
    by_channel = {r["channel"]: r["csat"] for r in satisfaction["by"]["channel"]}
    assert by_channel == {"email": 100.0, "phone": 25.0}
    assert [r["surveys_sent"] for r in satisfaction["by"]["period"]] == [1, 0, 1, 1, 0, 0, 0]


def test_satisfaction_filters_by_agent_and_channel(report, world):
    alice = report("satisfaction", agent=world.users["alice"].pk)
    assert (alice["surveys_sent"], alice["csat"]) == (2, 62.5)
    phone = report("satisfaction", channel="phone")
    assert (phone["surveys_sent"], phone["csat"], phone["nps"]) == (1, 25.0, -100.0)


def test_success_counts_episodes_followups_and_returning_customers(report):
    success = report("success", period="week")
    at_risk = success["at_risk"]
    # Flagged in the window: c1 (11-03; breach and low CSAT). Recovered: c2 (11-04) and c3
    # (the sweep of 11-06 found c3 no longer at risk).
    assert (at_risk["flagged"], at_risk["recovered"]) == (1, 2)
    assert at_risk["causes"] == {
        "sla_breached": 1, "low_csat": 1, "high_effort": 0, "detractor": 0, "reopened": 0,
    }  # fmt: skip
    actions = {r["action"]: r for r in success["followups"]["by_action"]}
    assert (actions["survey"]["sent"], actions["survey"]["answered"]) == (2, 1)
    assert (actions["outreach"]["sent"], actions["outreach"]["answered"]) == (1, 1)
    email = actions["email"]
    assert (email["sent"], email["failed"], email["scheduled"]) == (0, 1, 1)
    assert success["followups"]["outreach_outcomes"] == [{"ticket_status": "open", "followups": 1}]
    # Active the week before (reactive tickets): c2 (T6), c3 (T5), c4 (T7); again: c2, c3.
    retention = success["retention"]
    assert retention["by_period"] == [
        {"period": "2026-11-02", "active_before": 3, "active_again": 2, "rate": 66.7}
    ]
    assert {r["tier"]: (r["active_before"], r["active_again"]) for r in retention["by_tier"]} == {
        "Basic": (1, 1), "Gold": (1, 0), None: (1, 1),
    }  # fmt: skip


def test_success_by_day_puts_each_flag_and_recovery_on_its_day(report):
    series = report("success", period="day")["at_risk"]["by_period"]
    busy = [(r["period"], r["flagged"], r["recovered"]) for r in series]
    assert [row for row in busy if row[1] or row[2]] == [
        ("2026-11-03", 1, 0), ("2026-11-04", 0, 1), ("2026-11-06", 0, 1),
    ]  # fmt: skip


def test_agents_report_per_agent(report):
    rows = {r["agent"]: r for r in report("agents")["agents"]}
    assert list(rows) == ["alice", "bob", "mona"]
    alice, bob = rows["alice"], rows["bob"]
    assert (alice["solved"], alice["replies"], alice["first_responses"]) == (2, 3, 2)
    assert (alice["first_response_business_minutes_p50"], alice["csat"]) == (40.0, 62.5)
    assert (bob["solved"], bob["replies"], bob["first_responses"]) == (0, 2, 2)
    # bob's first responses: T2 60 business / 120 calendar, T3 10 / 10.
    assert bob["first_response_business_minutes_p50"] == 35.0
    assert bob["first_response_calendar_minutes_p50"] == 65.0
    assert (bob["surveys_sent"], bob["csat"]) == (1, None)
    assert rows["mona"]["solved"] == 0
