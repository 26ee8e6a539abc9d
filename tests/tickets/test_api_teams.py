from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.factories import TeamFactory, UserFactory
from tickets.models import Team

pytestmark = pytest.mark.django_db


def test_manager_creates_team_with_members(manager_client):
    alice, bob = UserFactory(), UserFactory()
    response = manager_client.post(
        "/api/v1/teams/", {"name": "VIP", "members": [alice.pk, bob.pk]}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["members"]) == sorted([alice.pk, bob.pk])


def test_making_a_team_default_takes_the_flag_from_the_old_one(manager_client):
    old = TeamFactory(is_default=True)
    response = manager_client.post(
        "/api/v1/teams/", {"name": "New", "is_default": True}, format="json"
    )
    assert response.status_code == 201
    old.refresh_from_db()
    assert not old.is_default
    assert Team.objects.get(is_default=True).name == "New"


def test_integration_cannot_be_a_team_member(manager_client, integration):
    assert_error(
        manager_client.post(
            "/api/v1/teams/", {"name": "X", "members": [integration.pk]}, format="json"
        ),
        400,
        field="members",
    )


def test_agents_read_teams_but_cannot_change_them(agent_client, team):
    assert [t["name"] for t in agent_client.get("/api/v1/teams/").json()["results"]] == ["Support"]
    assert_error(agent_client.patch(f"/api/v1/teams/{team.pk}/", {"name": "x"}, format="json"), 403)


def test_integrations_cannot_read_teams(integration_client):
    assert_error(integration_client.get("/api/v1/teams/"), 403)
