"""Deeply nested JSON is refused with a 400 `too_deep` on every JSON door, before any view
reads it, and nothing is written; nesting up to the limit still goes through."""

from __future__ import annotations

import pytest
from django.apps import apps

from api.parsers import MAX_JSON_DEPTH
from api.schema_generator import SchemaGenerator  # (ours: drf-spectacular's, activated)
from automations.models import TeamRouting
from desk.models import SavedView
from goodwill.models import Gesture, GoodwillLimit
from knowledge import feedback as knowledge_feedback
from knowledge import services as knowledge_services
from macros.models import Macro
from tests.conftest import assert_error
from tests.factories import (
    ArticleFactory,
    CalendarFactory,
    CustomerFactory,
    FollowUpRuleFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TicketFactory,
    TierFactory,
    TimeRuleFactory,
    TriggerFactory,
    UserFactory,
)
from tickets.channels.models import Channel, InboundMessage
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db

OUR_APPS = {
    "helpdesk",
    "customers",
    "tickets",
    "slas",
    "followups",
    "webhooks",
    "channels",
    "automations",
    "knowledge",
    "portal",
    "reports",
    "goodwill",
    "macros",
    "desk",
    "outbox",
}


def _json_writes() -> list[tuple[str, str]]:
    """Every operation whose request body the schema documents as application/json."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"post", "put", "patch"}
        and "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


JSON_WRITES = _json_writes()


def nested(levels: int) -> str:
    """A JSON body `{"name": [[...]]}` that is `levels` deep in all (the object counts)."""
    return '{"name": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
    }


@pytest.fixture
def objects(db, manager):
    """One row behind each `{id}` of the JSON writes (the manager's own where rows are
    personal)."""
    return {
        "macros": Macro.objects.create(name="Thanks", body="Thanks", owner=manager, is_shared=True),
        "saved-views": SavedView.objects.create(owner=manager, name="Mine", filters={}),
        "channels": Channel.objects.create(kind="chat", name="Widget", settings={}),
        "customers": CustomerFactory(),
        "followup-rules": FollowUpRuleFactory(),
        "organizations": OrganizationFactory(),
        "sla/calendars": CalendarFactory(),
        "sla/policies": PolicyFactory(),
        "sla/tiers": TierFactory(),
        "teams": TeamFactory(),
        "tickets": TicketFactory(),
        "automations/triggers": TriggerFactory(),
        "automations/time-rules": TimeRuleFactory(),
        "automations/routing": TeamRouting.objects.create(team=TeamFactory()),
        "help/articles": ArticleFactory(status="draft"),
        "help/categories": knowledge_services.category_save(translations={"en": {"name": "Box"}}),
        "help/suggest": knowledge_feedback.deflection_record(
            subject="Box",
            body="",
            locale="en",
            customer=None,
            tier=None,
            requested_by=None,
            suggestions=[],
        ),
        "webhooks": WebhookSubscription.objects.create(
            name="Hook", url="https://example.com/hook", secret="s3cret", events=[]
        ),
        "goodwill": _gesture(),
        "goodwill/limits": GoodwillLimit.objects.create(
            role="agent", currency="EUR", max_amount=20
        ),
    }


def _gesture() -> Gesture:
    ticket = TicketFactory()
    return Gesture.objects.create(
        ticket=ticket,
        customer=ticket.requester,
        kind="refund",
        amount=5,
        currency="EUR",
        reason="Late",
        state="pending",
        requested_by=UserFactory(),
    )


def url_for(path: str, objects: dict) -> str:
    path = path.replace("{kind}", "chat")  # the generic door, for a kind with a JSON payload
    if "{macro_id}" in path:
        path = path.replace("{macro_id}", str(objects["macros"].pk))
    if "{id}" not in path:
        return path
    resource = path.removeprefix("/api/v1/").split("/{id}")[0]
    return path.replace("{id}", str(objects[resource].pk))


def test_every_json_write_is_covered():
    doors = {path for _, path in JSON_WRITES}
    for door in ("chat", "calls", "social"):
        assert f"/api/v1/inbound/{door}/" in doors
    assert {"/api/v1/customers/", "/api/v1/tickets/", "/api/v1/deliveries/"} <= doors
    assert len(JSON_WRITES) >= 30


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
def test_json_nested_1500_levels_is_a_400_too_deep_and_writes_nothing(
    manager_client, objects, method, path
):
    url = url_for(path, objects)
    before = row_counts()
    response = getattr(manager_client, method)(url, nested(1500), content_type="application/json")
    assert_error(response, 400, "too_deep")
    assert row_counts() == before


@pytest.mark.parametrize(("method", "path"), JSON_WRITES)
def test_json_one_level_past_the_limit_is_a_400_too_deep(manager_client, objects, method, path):
    response = getattr(manager_client, method)(
        url_for(path, objects), nested(MAX_JSON_DEPTH + 1), content_type="application/json"
    )
    assert_error(response, 400, "too_deep")


def test_deep_objects_count_like_deep_arrays(manager_client):
    body = '{"echo": ' + '{"a": ' * 100 + "1" + "}" * 100 + "}"
    response = manager_client.post("/api/v1/ping/", body, content_type="application/json")
    assert_error(response, 400, "too_deep")


def test_a_deep_body_with_an_integration_token_is_refused_too(integration_client):
    response = integration_client.post(
        "/api/v1/inbound/chat/", nested(1500), content_type="application/json"
    )
    assert_error(response, 400, "too_deep")


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH])
def test_nesting_up_to_the_limit_still_goes_through(manager_client, levels):
    inner = "[" * (levels - 1) + "]" * (levels - 1)  # the body object is one level
    body = '{"echo": ' + inner + "}"
    response = manager_client.post("/api/v1/ping/", body, content_type="application/json")
    assert response.status_code == 200
    echoed, depth = response.json()["echo"], 1
    while echoed:
        echoed, depth = echoed[0], depth + 1
    assert depth == levels - 1


def test_chat_payload_with_a_63_deep_extra_blob_is_stored_as_sent(integration_client):
    Channel.objects.create(kind="chat", name="Widget", settings={})
    blob: dict = {}
    for _ in range(MAX_JSON_DEPTH - 3):  # the body, "metadata" and the innermost {} make 63
        blob = {"x": blob}
    payload = {
        "conversation_id": "conv-42",
        "visitor": {"email": "kim@example.com", "name": "Kim"},
        "text": "Hi, my order #1042 never arrived.",
        "metadata": blob,
    }
    response = integration_client.post("/api/v1/inbound/chat/", payload, format="json")
    assert response.status_code == 202, response.content
    row = InboundMessage.objects.get()
    assert row.raw_json["metadata"] == blob


def test_strings_that_look_nested_are_not_counted(manager_client):
    body = '{"echo": "' + "[" * 1500 + '"}'
    response = manager_client.post("/api/v1/ping/", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["echo"] == "[" * 1500
