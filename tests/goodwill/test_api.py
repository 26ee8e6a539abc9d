"""The goodwill API: agents record on tickets they see, managers decide and set limits, the
report sums granted goodwill per currency by tier, agent and kind."""

from __future__ import annotations

import pytest

from goodwill.models import Gesture, GestureState, GoodwillLimit
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

BODY = {"kind": "fee_waived", "amount": "15.00", "currency": "EUR", "reason": "Courier late"}


def url(ticket):
    return f"/api/v1/tickets/{ticket.pk}/goodwill/"


def test_agent_records_within_limit_and_reads_it_back(agent, agent_client, limits, standard_ticket):
    created = agent_client.post(url(standard_ticket), BODY, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "granted"
    assert body["amount"] == "15.00"
    assert body["requested_by"] == {"id": agent.pk, "name": agent.display_name}
    listed = agent_client.get(url(standard_ticket)).json()
    assert [g["id"] for g in listed] == [body["id"]]
    events = agent_client.get(f"/api/v1/tickets/{standard_ticket.pk}/events/").json()["results"]
    assert "goodwill.granted" in [e["kind"] for e in events]


def test_bad_input_is_a_400_and_nothing_is_written(agent_client, limits, standard_ticket):
    response = agent_client.post(url(standard_ticket), {**BODY, "currency": "ABC"}, format="json")
    assert_error(response, 400, field="currency")
    response = agent_client.post(url(standard_ticket), {**BODY, "amount": "-1"}, format="json")
    assert_error(response, 400, field="amount")
    assert not Gesture.objects.exists()


def test_other_team_gets_404(other_agent_client, limits, standard_ticket):
    assert_error(other_agent_client.post(url(standard_ticket), BODY, format="json"), 404)


def test_request_above_limit_then_manager_approves(
    agent_client, manager_client, limits, standard_ticket
):
    created = agent_client.post(url(standard_ticket), {**BODY, "amount": "60"}, format="json")
    assert created.json()["state"] == "pending"
    gesture_id = created.json()["id"]
    pending = manager_client.get("/api/v1/goodwill/?state=pending").json()["results"]
    assert [g["id"] for g in pending] == [gesture_id]
    assert_error(agent_client.post(f"/api/v1/goodwill/{gesture_id}/approve/"), 403)
    approved = manager_client.post(
        f"/api/v1/goodwill/{gesture_id}/approve/", {"note": "Fine"}, format="json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "granted"
    assert approved.json()["decided_by"]["id"]
    again = manager_client.post(f"/api/v1/goodwill/{gesture_id}/decline/")
    assert_error(again, 409, code="already_decided")
    assert Gesture.objects.get().state == GestureState.GRANTED


def test_managers_set_limits_agents_read_them(agent_client, manager_client, tiers):
    body = {"role": "agent", "tier": tiers[1].pk, "currency": "EUR", "max_amount": "100.00"}
    assert_error(agent_client.post("/api/v1/goodwill/limits/", body, format="json"), 403)
    created = manager_client.post("/api/v1/goodwill/limits/", body, format="json")
    assert created.status_code == 201, created.content
    assert_error(manager_client.post("/api/v1/goodwill/limits/", body, format="json"), 400)
    changed = manager_client.patch(
        f"/api/v1/goodwill/limits/{created.json()['id']}/", {"max_amount": "80"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert str(GoodwillLimit.objects.get().max_amount) == "80.00"
    assert [row["max_amount"] for row in agent_client.get("/api/v1/goodwill/limits/").json()] == [
        "80.00"
    ]


def test_goodwill_report_sums_per_currency_by_tier_agent_and_kind(
    agent,
    agent_client,
    manager_client,
    limits,
    standard_ticket,
    enterprise_ticket,
    django_assert_max_num_queries,
):
    for ticket, amount, currency, kind in (
        (standard_ticket, "10", "EUR", "fee_waived"),
        (standard_ticket, "5.50", "EUR", "discount"),
        (enterprise_ticket, "90", "EUR", "refund"),
        (enterprise_ticket, "200", "EUR", "refund"),  # above the limit: pending
    ):
        body = {**BODY, "amount": amount, "currency": currency, "kind": kind}
        assert agent_client.post(url(ticket), body, format="json").status_code == 201
    manager_client.post(
        url(standard_ticket), {**BODY, "amount": "7", "currency": "USD"}, format="json"
    )
    with django_assert_max_num_queries(12):
        report = manager_client.get("/api/v1/reports/goodwill/").json()
    assert report["totals"] == [
        {"currency": "EUR", "count": 3, "amount": "105.50"},
        {"currency": "USD", "count": 1, "amount": "7.00"},
    ]
    by_tier = {(r["tier"], r["currency"]): r["amount"] for r in report["by_tier"]}
    assert by_tier == {
        ("Standard", "EUR"): "15.50",
        ("Enterprise", "EUR"): "90.00",
        ("Standard", "USD"): "7.00",
    }
    by_agent = {(r["agent"], r["currency"]): r["count"] for r in report["by_agent"]}
    assert by_agent[(agent.display_name, "EUR")] == 3
    by_kind = {(r["kind"], r["currency"]): r["amount"] for r in report["by_kind"]}
    assert by_kind[("refund", "EUR")] == "90.00"
    assert report["requests"] == {"pending": 1, "approved": 0, "declined": 0}
    narrowed = manager_client.get(
        f"/api/v1/reports/goodwill/?tier={standard_ticket.organization.tier_id}"
    )
    assert [r["amount"] for r in narrowed.json()["totals"]] == ["15.50", "7.00"]


def test_goodwill_report_is_strict_and_for_managers(agent_client, manager_client):
    assert_error(
        manager_client.get("/api/v1/reports/goodwill/?currency=EUR"), 400, field="currency"
    )
    assert_error(manager_client.get("/api/v1/reports/goodwill/?tier=999999"), 400, field="tier")
    assert_error(agent_client.get("/api/v1/reports/goodwill/"), 403)


def test_gesture_lists_cost_constant_queries(
    agent, agent_client, manager_client, limits, standard_ticket, django_assert_num_queries
):
    from goodwill.services import gesture_record

    for n in range(12):
        gesture_record(
            ticket=standard_ticket,
            actor=agent,
            kind="discount",
            amount=str(n + 1),
            currency="EUR",
            reason="Late",
        )
    # token, the ticket, its gestures (with the people)
    with django_assert_num_queries(3):
        assert len(agent_client.get(url(standard_ticket)).json()) == 12
    # the page (gestures with ticket, customer, tier and people); the tokens now from the cache
    for client in (manager_client, agent_client):
        client.get("/api/v1/ping/")
    with django_assert_num_queries(1):
        page = manager_client.get("/api/v1/goodwill/?page_size=10").json()
    assert len(page["results"]) == 10
    # agents: the same page, narrowed to their tickets in the same query
    with django_assert_num_queries(1):
        agent_client.get("/api/v1/goodwill/?page_size=10")
    with django_assert_num_queries(1):
        manager_client.get("/api/v1/goodwill/limits/")


def test_a_retried_post_with_the_same_key_records_once(agent_client, limits, standard_ticket):
    first = agent_client.post(url(standard_ticket), BODY, format="json", HTTP_IDEMPOTENCY_KEY="g-1")
    again = agent_client.post(url(standard_ticket), BODY, format="json", HTTP_IDEMPOTENCY_KEY="g-1")
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Gesture.objects.count() == 1
