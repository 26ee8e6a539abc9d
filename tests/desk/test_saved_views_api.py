"""`/api/v1/saved-views/`: an agent's personal views through the API (the desk's rules)."""

from __future__ import annotations

import pytest

from desk.models import SavedView
from tests.conftest import assert_error
from tests.factories import SavedViewFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/saved-views/"


def test_agent_creates_reads_renames_and_deletes_a_view(agent_client, agent):
    body = {"name": "Urgent email", "filters": {"priority": ["urgent"], "channel": "email"}}
    response = agent_client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["filters"] == {"priority": ["urgent"], "channel": ["email"]}  # as stored
    assert data["sort"] == "urgency"
    view = SavedView.objects.get(owner=agent)
    response = agent_client.patch(f"{URL}{view.pk}/", {"sort": "updated"}, format="json")
    assert response.json()["sort"] == "updated"
    assert [v["id"] for v in agent_client.get(URL).json()["results"]] == [view.pk]
    assert agent_client.delete(f"{URL}{view.pk}/").status_code == 204
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": ["waiting"]}, "filters.status"),
        ({"view": "everything"}, "filters.view"),
        ({"assignee": "someone"}, "filters.assignee"),
        ({"owner__password": "x"}, "filters.owner__password"),
        ({"team": True}, "filters.team"),
        (["status"], "filters.filters"),
    ],
)
def test_filters_outside_the_allow_list_are_a_400_and_nothing_is_saved(
    agent_client, filters, field
):
    response = agent_client.post(URL, {"name": "x", "filters": filters}, format="json")
    assert response.status_code == 400, response.content
    fields = [f["field"] for f in response.json()["error"]["fields"]]
    assert field.split(".", 1)[1] in fields
    assert not SavedView.objects.exists()


def test_a_name_is_unique_per_agent(agent_client, agent, other_agent):
    SavedViewFactory(owner=agent, name="Mine")
    SavedViewFactory(owner=other_agent, name="Team")
    response = agent_client.post(URL, {"name": "Mine"}, format="json")
    assert_error(response, 400, field="name")
    assert agent_client.post(URL, {"name": "Team"}, format="json").status_code == 201


def test_list_queries_are_constant(agent_client, agent, django_assert_max_num_queries):
    for _n in range(20):
        SavedViewFactory(owner=agent)
    with django_assert_max_num_queries(3):  # token, user, views
        response = agent_client.get(URL)
    assert len(response.json()["results"]) == 20
