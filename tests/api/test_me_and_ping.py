from __future__ import annotations

import pytest

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_me_tells_an_integration_who_it_is(integration_client, integration):
    assert integration_client.get("/api/v1/me/").json() == {
        "id": integration.pk,
        "username": "shop",
        "role": "integration",
        "roles": ["integration"],
        "teams": [],
    }


def test_me_lists_an_agents_teams(agent_client, team):
    data = agent_client.get("/api/v1/me/").json()
    assert (data["role"], data["teams"]) == ("agent", [team.pk])


def test_ping_echoes_and_honours_idempotency(integration_client):
    first = integration_client.post(
        "/api/v1/ping/", {"echo": {"n": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="p"
    )
    again = integration_client.post(
        "/api/v1/ping/", {"echo": {"n": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="p"
    )
    assert first.json() == {"ok": True, "echo": {"n": 1}}
    assert again["Idempotent-Replayed"] == "true"


def test_ping_needs_credentials(anon_client):
    assert_error(anon_client.get("/api/v1/ping/"), 401)
