"""Bulk actions: one action on many tickets, each through ticket_update (audited per
ticket), a failure reported for its ticket while the others change."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.factories import CustomerFactory, UserFactory
from tickets import services
from tickets.models import EventKind, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/bulk/"


@pytest.fixture
def tickets(team, other_team):
    customer = CustomerFactory()

    def make(subject, team_):
        return services.ticket_create(requester=customer, subject=subject, body="x", team=team_)

    return [make("One", team), make("Two", team), make("Elsewhere", other_team)]


def test_bulk_assign_reports_per_ticket(
    agent, agent_client, tickets, django_assert_max_num_queries
):
    one, two, elsewhere = tickets
    services.ticket_update(ticket=two, actor=agent, status="solved")
    services.ticket_update(ticket=Ticket.objects.get(pk=two.pk), actor=agent, status="closed")
    ids = [one.pk, two.pk, elsewhere.pk, 999999]
    response = agent_client.post(
        URL, {"ids": ids, "action": "assign", "value": agent.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(r["id"], r["code"]) for r in body["results"]] == [
        (one.pk, "updated"),
        (two.pk, "conflict"),
        (elsewhere.pk, "not_found"),
        (999999, "not_found"),
    ]
    assert body["updated"] == 1
    assert body["failed"] == 3
    assert Ticket.objects.get(pk=one.pk).assignee == agent
    assert Ticket.objects.get(pk=two.pk).assignee is None
    assert (
        TicketEvent.objects.filter(ticket=one, kind=EventKind.ASSIGNED, actor_user=agent).count()
        == 1
    )


def test_bulk_status_tag_and_team_each_audited(agent, manager_client, tickets, other_team):
    one, two, _ = tickets
    ids = [one.pk, two.pk]
    for action, value in (
        ("set_status", "pending"),
        ("add_tag", "refund"),
        ("move_team", other_team.pk),
    ):
        response = manager_client.post(
            URL, {"ids": ids, "action": action, "value": value}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["updated"] == 2, response.content
    for pk in ids:
        ticket = Ticket.objects.get(pk=pk)
        assert ticket.status == "pending"
        assert ticket.team == other_team
        assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
        kinds = set(TicketEvent.objects.filter(ticket_id=pk).values_list("kind", flat=True))
        assert {EventKind.STATUS_CHANGED, EventKind.TAGS_CHANGED, EventKind.TEAM_CHANGED} <= kinds


def test_add_tag_keeps_existing_tags(agent_client, agent, tickets):
    one = services.ticket_update(ticket=tickets[0], actor=agent, tags=["vip"])
    agent_client.post(URL, {"ids": [one.pk], "action": "add_tag", "value": "late"}, format="json")
    assert sorted(Ticket.objects.get(pk=one.pk).tags.values_list("name", flat=True)) == [
        "late",
        "vip",
    ]


def test_an_invalid_transition_or_assignee_is_reported_not_fatal(agent, agent_client, tickets):
    one, two, _ = tickets
    outsider = UserFactory()  # in no team: cannot be assigned there
    response = agent_client.post(
        URL, {"ids": [one.pk], "action": "assign", "value": outsider.pk}, format="json"
    )
    assert response.json()["results"][0]["code"] == "invalid"
    services.ticket_update(ticket=two, actor=agent, status="solved")
    response = agent_client.post(
        URL, {"ids": [one.pk, two.pk], "action": "set_status", "value": "on_hold"}, format="json"
    )
    assert [r["code"] for r in response.json()["results"]] == ["updated", "invalid"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [], "action": "assign", "value": None}, "ids"),
        ({"ids": [1], "action": "merge", "value": None}, "action"),
        ({"ids": [1], "action": "set_status", "value": "gone"}, "value"),
        ({"ids": [1], "action": "move_team", "value": 999999}, "value"),
        ({"ids": [1], "action": "assign", "value": "bob"}, "value"),
        ({"ids": list(range(1, 102)), "action": "assign", "value": None}, "ids"),
    ],
)
def test_bad_request_is_400_and_changes_nothing(agent_client, tickets, body, field):
    before = list(TicketEvent.objects.values_list("id", flat=True))
    assert_error(agent_client.post(URL, body, format="json"), 400, field=field)
    assert list(TicketEvent.objects.values_list("id", flat=True)) == before


def test_integrations_may_not_bulk_edit(integration_client, tickets):
    assert_error(
        integration_client.post(
            URL, {"ids": [tickets[0].pk], "action": "assign", "value": None}, format="json"
        ),
        403,
    )
