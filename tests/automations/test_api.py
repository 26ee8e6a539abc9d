"""Managers keep rules through the API: validated with field errors, who changed them when."""

from __future__ import annotations

import pytest

from automations.models import TimeRule, Trigger
from tests.conftest import assert_error
from tests.factories import CustomerFactory, TriggerFactory
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

URL = "/api/v1/automations/triggers/"

OUTAGE = {
    "name": "Enterprise outage",
    "event": "ticket.created",
    "conditions": {
        "all": [{"field": "tier", "operator": "is", "value": "Enterprise"}],
        "any": [{"field": "subject", "operator": "contains", "value": "outage"}],
    },
    "actions": [{"type": "set_priority", "value": "urgent"}],
}


def test_manager_creates_a_trigger_and_is_recorded_as_its_editor(manager_client, manager):
    response = manager_client.post(URL, OUTAGE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["updated_by"] == manager.username
    assert body["conditions"] == OUTAGE["conditions"]
    assert Trigger.objects.get(pk=body["id"]).updated_by == manager


def test_patch_records_the_new_editor(manager_client, manager):
    rule = TriggerFactory()
    response = manager_client.patch(f"{URL}{rule.pk}/", {"active": False}, format="json")
    assert response.status_code == 200, response.content
    rule.refresh_from_db()
    assert (rule.active, rule.updated_by) == (False, manager)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"conditions": {"all": [{"field": "colour", "operator": "is", "value": "red"}]}},
            "conditions",
            "unknown field 'colour'",
        ),
        (
            {"conditions": {"all": [{"field": "subject", "operator": "regex", "value": ".*"}]}},
            "conditions",
            "not 'regex'",
        ),
        (
            {"conditions": {"all": [{"field": "priority", "operator": "is", "value": "asap"}]}},
            "conditions",
            "'asap' is not one of",
        ),
        ({"conditions": {"none": []}}, "conditions", "Unknown group"),
        ({"actions": [{"type": "delete_ticket"}]}, "actions", "unknown action 'delete_ticket'"),
        ({"actions": [{"type": "set_team", "value": 999999}]}, "actions", "team 999999 not found"),
        ({"actions": [{"type": "reply", "body": "{% if %}"}]}, "actions", "body:"),
        ({"actions": []}, "actions", "non-empty"),
        ({"event": "ticket.deleted"}, "event", ""),
    ],
)
def test_bad_rule_is_a_400_with_the_field_and_nothing_stored(manager_client, change, field, words):
    response = manager_client.post(URL, {**OUTAGE, **change}, format="json")
    error = assert_error(response, 400, field=field)
    assert any(words in f["message"] for f in error["fields"]), error
    assert not Trigger.objects.exists()


def test_bad_patch_changes_nothing(manager_client):
    rule = TriggerFactory(name="Keep me")
    response = manager_client.patch(
        f"{URL}{rule.pk}/",
        {"name": "Changed", "actions": [{"type": "explode"}]},
        format="json",
    )
    assert_error(response, 400, field="actions")
    rule.refresh_from_db()
    assert rule.name == "Keep me"


def test_agents_and_integrations_may_not_read_or_write_rules(agent_client, integration_client):
    for client in (agent_client, integration_client):
        assert client.get(URL).status_code == 403
        assert client.post(URL, OUTAGE, format="json").status_code == 403


def test_dry_run_names_the_rules_that_would_fire(manager_client, team):
    hit = TriggerFactory(
        name="new ones",
        event="ticket.updated",
        conditions={"all": [{"field": "status", "operator": "is", "value": "new"}]},
    )
    TriggerFactory(
        event="ticket.updated",
        conditions={"all": [{"field": "status", "operator": "is", "value": "solved"}]},
    )
    ticket = ticket_services.ticket_create(
        requester=CustomerFactory(), subject="Where is my parcel?", body="Order 1234"
    )
    response = manager_client.post(f"{URL}dry-run/", {"ticket": ticket.pk}, format="json")
    assert response.status_code == 200, response.content
    assert [r["id"] for r in response.json()["rules"]] == [hit.pk]
    ticket.refresh_from_db()
    assert ticket.priority == 2  # a dry run changes nothing


def test_dry_run_for_an_unknown_ticket_is_a_400(manager_client):
    assert_error(
        manager_client.post(f"{URL}dry-run/", {"ticket": 424242}, format="json"),
        400,
        field="ticket",
    )


def test_default_time_rules_ship_and_managers_change_them(manager_client):
    response = manager_client.get("/api/v1/automations/time-rules/")
    assert response.status_code == 200
    names = [r["name"] for r in response.json()["results"]]
    assert names == [
        "Close tickets solved for 4 days",
        "Remind the customer after 3 business days pending",
        "Solve tickets pending for 7 business days",
    ]
    rule = TimeRule.objects.get(name="Solve tickets pending for 7 business days")
    response = manager_client.patch(
        f"/api/v1/automations/time-rules/{rule.pk}/", {"after": 10}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["after"] == 10


def test_time_rule_with_unknown_timer_is_a_400(manager_client):
    response = manager_client.post(
        "/api/v1/automations/time-rules/",
        {"name": "x", "timer": "since_forever", "after": 1, "actions": OUTAGE["actions"]},
        format="json",
    )
    assert_error(response, 400, field="timer")


def test_schema_documents_the_rule_shape(manager_client):
    schema = manager_client.get("/api/schema/?format=json").json()
    trigger = schema["components"]["schemas"]["Trigger"]["properties"]
    condition = trigger["conditions"]["properties"]["all"]["items"]
    assert "subject" in condition["properties"]["field"]["enum"]
    assert "contains" in condition["properties"]["operator"]["enum"]
    assert "set_priority" in trigger["actions"]["items"]["properties"]["type"]["enum"]


def test_admin_refuses_an_unknown_action_and_records_the_editor(manager):
    from django.test import Client

    manager.is_staff = True
    manager.is_superuser = True
    manager.save()
    client = Client()
    client.force_login(manager)
    form = {
        "name": "Admin rule",
        "event": "ticket.created",
        "position": 0,
        "active": "on",
        "conditions": '{"all": [], "any": []}',
        "actions": '[{"type": "explode"}]',
    }
    response = client.post("/admin/automations/trigger/add/", form)
    assert response.status_code == 200
    assert "unknown action" in response.content.decode()
    assert not Trigger.objects.exists()
    form["actions"] = '[{"type": "add_tags", "value": ["vip"]}]'
    response = client.post("/admin/automations/trigger/add/", form)
    assert response.status_code == 302
    assert Trigger.objects.get().updated_by == manager
