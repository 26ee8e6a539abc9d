"""Regressions for what schema fuzzing found: each used to answer 200 with the wrong thing or
500; each now answers as the schema says."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.factories import TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page_size", ["null", "0", "-3", "1.5"])
def test_malformed_page_size_is_a_400(manager_client, page_size):
    response = manager_client.get("/api/v1/tickets/", {"page_size": page_size})
    assert_error(response, 400, field="page_size")


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
