"""Changing a ticket through the API (PATCH /api/v1/tickets/{id}/): fields, status moves,
assignees and teams, collisions, closed tickets; and its audit trail (events/)."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.factories import (
    TeamFactory,
    TicketFactory,
)
from tickets.models import EventKind, Priority

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


def create(client, **overrides):
    body = {
        "subject": "Parcel damaged",
        "body": "The box was crushed.",
        "requester": {"email": "Kim@Example.com", "name": "Kim"},
    }
    body.update(overrides)
    return client.post(URL, body, format="json")


# --- update -----------------------------------------------------------------------------------


def test_agent_updates_status_priority_assignee_and_tags_with_events(agent_client, agent, team):
    ticket = TicketFactory(team=team)
    response = agent_client.patch(
        f"{URL}{ticket.pk}/",
        {
            "status": "open",
            "priority": "urgent",
            "assignee_id": agent.pk,
            "tags": ["billing"],
            "version": 1,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["priority"], data["assignee"]["id"], data["tags"]) == (
        "open",
        "urgent",
        agent.pk,
        ["billing"],
    )
    assert data["version"] == 2
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {
        EventKind.STATUS_CHANGED,
        EventKind.PRIORITY_CHANGED,
        EventKind.ASSIGNED,
        EventKind.TAGS_CHANGED,
    } <= kinds
    status_event = ticket.events.get(kind=EventKind.STATUS_CHANGED)
    assert (status_event.before, status_event.after) == ({"status": "new"}, {"status": "open"})
    assert status_event.actor_user == agent


def test_stale_version_is_409_and_changes_nothing(agent_client, team):
    ticket = TicketFactory(team=team, version=3)
    response = agent_client.patch(
        f"{URL}{ticket.pk}/", {"priority": "high", "version": 2}, format="json"
    )
    assert_error(response, 409, "stale_version")
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL


def test_invalid_transition_is_400_on_status(agent_client, team):
    ticket = TicketFactory(team=team, status="solved")
    response = agent_client.patch(f"{URL}{ticket.pk}/", {"status": "pending"}, format="json")
    assert_error(response, 400, field="status")


def test_closed_ticket_is_final(agent_client, team):
    ticket = TicketFactory(team=team, status="closed")
    assert_error(
        agent_client.patch(f"{URL}{ticket.pk}/", {"priority": "high"}, format="json"), 409, "closed"
    )


def test_solving_then_closing_sets_timestamps(agent_client, team):
    ticket = TicketFactory(team=team, status="open")
    agent_client.patch(f"{URL}{ticket.pk}/", {"status": "solved"}, format="json")
    data = agent_client.patch(f"{URL}{ticket.pk}/", {"status": "closed"}, format="json").json()
    assert data["solved_at"]
    assert data["closed_at"]


def test_assignee_must_be_in_the_team(agent_client, team, other_agent):
    ticket = TicketFactory(team=team)
    response = agent_client.patch(
        f"{URL}{ticket.pk}/", {"assignee_id": other_agent.pk}, format="json"
    )
    assert_error(response, 400, field="assignee")


def test_cannot_assign_to_integration(manager_client, team, integration):
    ticket = TicketFactory(team=team)
    response = manager_client.patch(
        f"{URL}{ticket.pk}/", {"assignee_id": integration.pk}, format="json"
    )
    assert_error(response, 400, field="assignee")


def test_moving_team_drops_assignee_not_in_new_team(agent_client, agent, team, other_team):
    ticket = TicketFactory(team=team, assignee=agent)
    data = agent_client.patch(
        f"{URL}{ticket.pk}/", {"team_id": other_team.pk}, format="json"
    ).json()
    assert data["team"]["id"] == other_team.pk
    assert data["assignee"] is None


def test_integration_cannot_update_tickets(integration_client, integration):
    ticket = TicketFactory(source_integration=integration)
    assert_error(
        integration_client.patch(f"{URL}{ticket.pk}/", {"status": "open"}, format="json"), 403
    )


def test_agent_of_other_team_cannot_update(other_agent_client, team):
    ticket = TicketFactory(team=team)
    assert_error(
        other_agent_client.patch(f"{URL}{ticket.pk}/", {"status": "open"}, format="json"), 404
    )
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_events_endpoint_lists_audit_trail(agent_client, team):
    ticket = TicketFactory(team=team)
    agent_client.patch(f"{URL}{ticket.pk}/", {"status": "open"}, format="json")
    agent_client.patch(f"{URL}{ticket.pk}/", {"priority": "high"}, format="json")
    events = agent_client.get(f"{URL}{ticket.pk}/events/").json()["results"]
    assert [e["kind"] for e in events] == ["status_changed", "priority_changed"]
    assert events[0]["actor"]["type"] == "agent"


def test_integration_cannot_read_events(integration_client, integration):
    ticket = TicketFactory(source_integration=integration)
    assert_error(integration_client.get(f"{URL}{ticket.pk}/events/"), 403)


def test_team_deleted_while_in_use_is_409(manager_client):
    team = TeamFactory()
    TicketFactory(team=team)
    assert_error(manager_client.delete(f"/api/v1/teams/{team.pk}/"), 409, "in_use")
