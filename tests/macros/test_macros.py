"""Macros: saved with their placeholders checked, personal or shared (managers share), applied
to a ticket (the reply sent, status, priority, team and tags set, the use counted)."""

from __future__ import annotations

import pytest
from django.test import Client

from macros.models import Macro
from tests.conftest import assert_error
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tickets import services
from tickets.models import EventKind, Message, Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/macros/"
REFUND = {
    "name": "Refund issued",
    "body": 'Hi {{ customer.first_name|default:"there" }}, the refund for #{{ ticket.number }} '
    "is on its way.\n\n{{ agent.name }}",
    "set_status": "solved",
    "set_priority": "low",
    "add_tags": ["refund", "Billing Issue"],
}


@pytest.fixture
def ticket(team):
    return services.ticket_create(
        requester=CustomerFactory(name="Kim Lee"), subject="Refund?", body="Where is it?", team=team
    )


def apply(client, ticket, macro, **body):
    return client.post(
        f"/api/v1/tickets/{ticket.pk}/macros/{macro['id']}/apply/", body, format="json"
    )


def test_agent_creates_a_personal_macro(agent_client, agent):
    response = agent_client.post(URL, REFUND, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["is_shared"], data["owner"]["id"], data["set_priority"]) == (
        False,
        agent.pk,
        "low",
    )
    assert data["add_tags"] == ["billing-issue", "refund"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**REFUND, "body": "Hi {{ customer.email }}"}, "body"),
        ({**REFUND, "body": "{% include 'desk/base.html' %}"}, "body"),
        ({**REFUND, "set_status": "closed"}, "set_status"),
        ({**REFUND, "set_team_id": 999999}, "set_team_id"),
        ({**REFUND, "is_shared": True}, "is_shared"),
    ],
)
def test_bad_macros_are_field_errors_and_nothing_is_stored(agent_client, body, field):
    assert_error(agent_client.post(URL, body, format="json"), 400, field=field)
    assert not Macro.objects.exists()


def test_shared_macros_are_for_everyone_personal_ones_for_their_owner(
    agent_client, other_agent_client, manager_client
):
    shared = manager_client.post(
        URL, {**REFUND, "name": "Shared", "is_shared": True}, format="json"
    )
    assert shared.status_code == 201, shared.content
    personal = agent_client.post(URL, REFUND, format="json").json()
    names = {m["name"] for m in other_agent_client.get(URL).json()["results"]}
    assert names == {"Shared"}
    assert other_agent_client.get(f"{URL}{personal['id']}/").status_code == 404
    assert {m["name"] for m in agent_client.get(URL).json()["results"]} == {
        "Shared",
        "Refund issued",
    }
    # Only managers change a shared macro.
    assert_error(
        agent_client.patch(f"{URL}{shared.json()['id']}/", {"name": "Mine now"}, format="json"), 403
    )
    assert (
        agent_client.patch(f"{URL}{personal['id']}/", {"name": "Refund"}, format="json").json()[
            "name"
        ]
        == "Refund"
    )


def test_macro_list_queries_stay_constant(agent_client, manager, django_assert_num_queries):
    for i in range(3):
        Macro.objects.create(name=f"m{i}", body="x", owner=manager, is_shared=True)
    agent_client.get("/api/v1/ping/")  # from here the token is read from the cache
    with django_assert_num_queries(1):
        agent_client.get(URL)
    for i in range(3, 20):
        Macro.objects.create(name=f"m{i}", body="x", owner=manager, is_shared=True)
    with django_assert_num_queries(1):
        assert len(agent_client.get(URL).json()["results"]) == 20


def test_preview_renders_for_the_ticket_and_changes_nothing(agent_client, agent, ticket):
    macro = agent_client.post(URL, REFUND, format="json").json()
    response = agent_client.get(f"/api/v1/tickets/{ticket.pk}/macros/{macro['id']}/preview/")
    assert response.status_code == 200, response.content
    assert response.json()["body"] == (
        f"Hi Kim, the refund for #{ticket.pk} is on its way.\n\n{agent.display_name}"
    )
    assert response.json()["changes"] == {
        "status": "solved",
        "priority": "low",
        "add_tags": ["billing-issue", "refund"],
    }
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_apply_sends_the_reply_sets_the_fields_and_counts_the_use(
    agent_client, agent, ticket, team
):
    escalation = TeamFactory(name="Refunds")
    escalation.members.add(agent)
    macro = agent_client.post(URL, {**REFUND, "set_team_id": escalation.pk}, format="json").json()
    response = apply(agent_client, ticket, macro, version=ticket.version)
    assert response.status_code == 201, response.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.get_priority_display(), ticket.team) == (
        "solved",
        "low",
        escalation,
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing-issue", "refund"]
    reply = Message.objects.get(ticket=ticket, direction="outbound")
    assert reply.is_public
    assert reply.body_text.startswith("Hi Kim, the refund")
    assert response.json()["message"]["id"] == reply.pk
    stored = Macro.objects.get(pk=macro["id"])
    assert stored.usage_count == 1
    assert stored.last_used_at is not None
    assert ticket.events.filter(kind=EventKind.MACRO_APPLIED, actor_user=agent).count() == 1


def test_apply_with_the_agents_edited_text_as_an_internal_note(agent_client, ticket):
    macro = agent_client.post(URL, {**REFUND, "set_status": ""}, format="json").json()
    apply(agent_client, ticket, macro, body="Edited by me", public=False)
    note = Message.objects.get(ticket=ticket, direction="outbound")
    assert (note.body_text, note.is_public) == ("Edited by me", False)


def test_a_stale_version_applies_nothing(agent_client, ticket):
    macro = agent_client.post(URL, REFUND, format="json").json()
    assert_error(
        apply(agent_client, ticket, macro, version=ticket.version + 5), 409, "stale_version"
    )
    assert not Message.objects.filter(ticket=ticket, direction="outbound").exists()
    assert Macro.objects.get(pk=macro["id"]).usage_count == 0
    assert Ticket.objects.get(pk=ticket.pk).priority == ticket.priority


def test_apply_only_on_tickets_the_agent_sees_with_macros_they_may_use(
    agent_client, other_agent_client, ticket, other_team
):
    macro = agent_client.post(URL, REFUND, format="json").json()
    assert_error(apply(other_agent_client, ticket, macro), 404)
    theirs = services.ticket_create(
        requester=CustomerFactory(), subject="x", body="x", team=other_team
    )
    assert_error(apply(other_agent_client, theirs, macro), 404)  # someone else's macro
    assert Macro.objects.get(pk=macro["id"]).usage_count == 0


def test_integrations_have_no_macros(integration_client):
    assert_error(integration_client.get(URL), 403)
    assert_error(integration_client.post(URL, REFUND, format="json"), 403)


def test_owner_deletes_their_macro_an_agent_not_a_shared_one(agent_client, manager):
    shared = Macro.objects.create(name="s", body="x", owner=manager, is_shared=True)
    assert_error(agent_client.delete(f"{URL}{shared.pk}/"), 403)
    mine = agent_client.post(URL, REFUND, format="json").json()
    assert agent_client.delete(f"{URL}{mine['id']}/").status_code == 204
    assert list(Macro.objects.all()) == [shared]


def test_names_are_unique_per_owner(agent_client, agent):
    agent_client.post(URL, REFUND, format="json")
    assert_error(agent_client.post(URL, REFUND, format="json"), 400, field="name")
    other = UserFactory(username="bob")
    Macro.objects.create(name=REFUND["name"], body="x", owner=other)
    assert Macro.objects.filter(name=REFUND["name"]).count() == 2


def test_admin_saves_through_the_service(db):
    manager = UserFactory(username="root", is_staff=True, is_superuser=True, role="manager")
    client = Client()
    client.force_login(manager)
    bad = client.post(
        "/admin/macros/macro/add/",
        {"name": "Bad", "body": "{{ ticket.requester.email }}", "add_tags": "[]"},
    )
    assert bad.status_code == 200
    assert "is not a placeholder" in bad.content.decode()
    assert not Macro.objects.exists()
    good = client.post(
        "/admin/macros/macro/add/",
        {"name": "Good", "body": "Hi {{ customer.name }}", "is_shared": "on", "add_tags": '["x"]'},
    )
    assert good.status_code == 302, good.content.decode()[:2000]
    assert Macro.objects.get().owner == manager
