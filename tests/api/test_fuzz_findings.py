"""Regressions for what schema fuzzing found: each used to answer 200 with the wrong thing or
500; each now answers as the schema says."""

from __future__ import annotations

import re

import pytest

from accounts.models import IdempotencyRecord
from slas.models import BusinessCalendar
from tests.conftest import assert_error
from tests.factories import CalendarFactory, PolicyFactory, TeamFactory, TicketFactory
from tickets.models import Team

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page_size", ["null", "0", "-3", "1.5"])
def test_malformed_page_size_is_a_400(manager_client, page_size):
    response = manager_client.get("/api/v1/tickets/", {"page_size": page_size})
    assert_error(response, 400, field="page_size")


def test_page_size_with_thousands_of_digits_is_capped_too(manager_client):
    TicketFactory()
    response = manager_client.get("/api/v1/tickets/", {"page_size": "9" * 5000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_page_size_above_the_maximum_is_capped(manager_client):
    for _ in range(3):
        TicketFactory()
    response = manager_client.get("/api/v1/tickets/", {"page_size": 10_000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_forged_cursor_is_a_400_not_a_404(manager_client):
    response = manager_client.get("/api/v1/tickets/", {"cursor": "not-a-cursor"})
    assert_error(response, 400, field="cursor")


def test_unrecognised_boolean_filter_is_a_400(manager_client):
    response = manager_client.get("/api/v1/teams/", {"is_default": "banana"})
    assert_error(response, 400, field="is_default")


def test_boolean_filter_filters_and_empty_means_unset(manager_client):
    TeamFactory(name="Default", is_default=True)
    TeamFactory(name="Other")

    def names(params):
        results = manager_client.get("/api/v1/teams/", params).json()["results"]
        return {t["name"] for t in results}

    assert names({"is_default": "true"}) == {"Default"}
    assert names({"is_default": "false"}) == {"Other"}
    assert names({"is_default": ""}) == {"Default", "Other"}


def test_priority_filter_is_documented_as_names(manager_client):
    schema = manager_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]
    priority = next(p for p in parameters if p["name"] == "priority")
    assert priority["schema"]["type"] == "string"
    assert "urgent" in priority["schema"]["enum"]


def test_ping_echoes_null(manager_client):
    response = manager_client.post("/api/v1/ping/", {"echo": None}, format="json")
    assert response.json() == {"ok": True, "echo": None}


def test_ping_rejects_a_body_that_is_not_an_object(manager_client):
    response = manager_client.post("/api/v1/ping/", "null", content_type="application/json")
    assert_error(response, 400)


def test_text_fields_refuse_numbers(manager_client):
    response = manager_client.post(
        "/api/v1/tickets/",
        {"subject": 0, "body": "x", "requester": {"email": "n@example.com"}},
        format="json",
    )
    assert_error(response, 400, field="subject")


def test_instants_with_offsets_postgres_cannot_store_still_filter(manager_client):
    TicketFactory()
    # +23:40 is valid ISO 8601 but beyond PostgreSQL's +-15:59: converted to UTC first
    response = manager_client.get("/api/v1/tickets/", {"updated_since": "2020-08-27T22:52+23:40"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_an_instant_that_has_no_utc_equivalent_is_a_400(manager_client):
    response = manager_client.get("/api/v1/tickets/", {"updated_since": "0001-01-01T00:00+05:00"})
    assert_error(response, 400, field="updated_since")


def test_boolean_fields_refuse_numbers(manager_client):
    response = manager_client.post(
        "/api/v1/teams/", {"name": "VIP", "is_default": 0}, format="json"
    )
    assert_error(response, 400, field="is_default")


def test_channel_settings_must_be_an_object(manager_client):
    response = manager_client.post(
        "/api/v1/channels/", {"kind": "email", "name": "Support", "settings": [None]}, format="json"
    )
    assert_error(response, 400, field="settings")


def _schema(client) -> dict:
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def _parameter(schema: dict, path: str, method: str, name: str) -> dict:
    return next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


def test_page_size_schema_says_what_the_server_accepts(manager_client):
    page_size = _parameter(_schema(manager_client), "/api/v1/tickets/", "get", "page_size")
    assert page_size["schema"]["minimum"] == 1
    assert "maximum" not in page_size["schema"]  # larger sizes are capped, not refused


@pytest.mark.parametrize(
    ("path", "name", "minimum", "maximum"),
    [("/api/v1/queue/", "limit", 1, 100), ("/api/v1/reports/satisfaction/", "days", 1, 730)],
)
def test_bounded_query_numbers_are_documented_with_their_bounds(
    manager_client, path, name, minimum, maximum
):
    schema = _parameter(_schema(manager_client), path, "get", name)["schema"]
    assert (schema["minimum"], schema["maximum"]) == (minimum, maximum)


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/v1/queue/", "limit", "0"),
        ("/api/v1/queue/", "limit", "101"),
        ("/api/v1/queue/", "limit", "²"),  # str.isdigit() says yes, int() says no: was a 500
        ("/api/v1/reports/satisfaction/", "days", "731"),
        ("/api/v1/reports/satisfaction/", "days", "³"),
        ("/api/v1/tickets/", "page_size", "¹"),
        ("/api/v1/tickets/", "page_size", "0"),
        ("/api/v1/queue/", "limit", "9" * 5000),  # int() refuses 4,300+ digits
    ],
)
def test_query_numbers_out_of_bounds_or_not_ascii_digits_are_a_400(
    manager_client, path, name, value
):
    assert_error(manager_client.get(path, {name: value}), 400, field=name)


@pytest.mark.parametrize(
    ("path", "name"), [("/api/v1/queue/", "limit"), ("/api/v1/reports/satisfaction/", "days")]
)
def test_empty_query_number_means_the_default(manager_client, path, name):
    assert manager_client.get(path, {name: ""}).status_code == 200


def test_idempotency_key_length_is_documented(manager_client):
    key = _parameter(_schema(manager_client), "/api/v1/tickets/", "post", "Idempotency-Key")
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_idempotency_key_outside_the_documented_length_is_a_400(integration_client, key):
    response = integration_client.post(
        "/api/v1/ping/", {"echo": 1}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert_error(response, 400, "invalid_idempotency_key")


@pytest.mark.parametrize("key", ["", "k" * 256, "fine-key"])
def test_agent_posting_to_a_manager_endpoint_hears_403_whatever_its_key(agent_client, key):
    response = agent_client.post(
        "/api/v1/teams/", {"name": "VIP"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert_error(response, 403)
    assert not IdempotencyRecord.objects.exists()
    assert not Team.objects.filter(name="VIP").exists()


def test_integration_claiming_the_queue_hears_403_not_about_its_key(integration_client):
    response = integration_client.post("/api/v1/queue/claim/", HTTP_IDEMPOTENCY_KEY="")
    assert_error(response, 403)


def test_anonymous_post_with_a_key_hears_401_and_claims_nothing(anon_client):
    response = anon_client.post(
        "/api/v1/ping/", {"echo": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert_error(response, 401)
    assert not IdempotencyRecord.objects.exists()


def test_a_refused_post_leaves_the_key_free_for_the_allowed_caller(agent_client, manager_client):
    agent_client.post("/api/v1/teams/", {"name": "VIP"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = manager_client.post(
        "/api/v1/teams/", {"name": "VIP"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_replay_still_works_once_checks_pass(manager_client):
    first = manager_client.post(
        "/api/v1/teams/", {"name": "VIP"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    again = manager_client.post(
        "/api/v1/teams/", {"name": "VIP"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Team.objects.filter(name="VIP").count() == 1


OFFICE = {"name": "Office", "time_zone": "Europe/Berlin"}


def test_business_hours_are_written_and_read_as_hh_mm(manager_client):
    body = {**OFFICE, "intervals": [{"weekday": 0, "start": "07:00", "end": "15:30"}]}
    created = manager_client.post("/api/v1/sla/calendars/", body, format="json")
    assert created.status_code == 201, created.content
    read = manager_client.get(f"/api/v1/sla/calendars/{created.json()['id']}/").json()
    assert read["intervals"] == [{"weekday": 0, "start": "07:00", "end": "15:30"}]


@pytest.mark.parametrize("start", ["07:00:00", "7:00", "07:00+02:00", "24:00", "07h00", 700])
def test_business_hours_in_another_shape_are_a_400(manager_client, start):
    body = {**OFFICE, "intervals": [{"weekday": 0, "start": start, "end": "15:00"}]}
    response = manager_client.post("/api/v1/sla/calendars/", body, format="json")
    assert_error(response, 400, field="intervals.0.start")
    assert not BusinessCalendar.objects.filter(name="Office").exists()


def test_business_hours_schema_is_a_hh_mm_pattern_not_format_time(manager_client):
    interval = _schema(manager_client)["components"]["schemas"]["Interval"]["properties"]
    for name in ("start", "end"):
        assert "format" not in interval[name]
        assert re.fullmatch(interval[name]["pattern"].strip("^$"), "23:59")
        assert not re.fullmatch(interval[name]["pattern"].strip("^$"), "23:59:00")


@pytest.mark.parametrize("path", ["/api/v1/sla/calendars/{id}/", "/api/v1/teams/{id}/"])
def test_delete_documents_409_in_use_with_the_error_shape(manager_client, path):
    conflict = _schema(manager_client)["paths"][path]["delete"]["responses"]["409"]
    assert "in_use" in conflict["description"]
    assert conflict["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_calendar_in_use_by_a_policy_is_a_409_in_use(manager_client):
    calendar = CalendarFactory()
    PolicyFactory(calendar=calendar)
    response = manager_client.delete(f"/api/v1/sla/calendars/{calendar.pk}/")
    assert_error(response, 409, "in_use")
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()


def test_json_endpoints_advertise_only_json_and_file_doors_keep_multipart(manager_client):
    paths = _schema(manager_client)["paths"]
    bodies = {
        (method, path): set(operation["requestBody"]["content"])
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    assert bodies.pop(("post", "/api/v1/tickets/")) == {"application/json", "multipart/form-data"}
    assert bodies.pop(("post", "/api/v1/tickets/{id}/messages/")) == {
        "application/json",
        "multipart/form-data",
    }
    assert bodies.pop(("post", "/api/v1/inbound/email/")) == {"message/rfc822", "text/plain"}
    # an article's files: an upload only
    assert bodies.pop(("post", "/api/v1/help/articles/{id}/attachments/")) == {
        "multipart/form-data"
    }
    assert {frozenset(types) for types in bodies.values()} == {frozenset({"application/json"})}


def test_form_encoded_body_to_a_json_endpoint_is_a_415_and_writes_nothing(manager_client):
    response = manager_client.post(
        "/api/v1/teams/", "name=VIP", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415)
    assert not Team.objects.filter(name="VIP").exists()
