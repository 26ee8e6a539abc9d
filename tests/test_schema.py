"""The OpenAPI document is complete and warning-free, and the docs page serves offline."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in [
        "/api/v1/tickets/",
        "/api/v1/tickets/{id}/messages/",
        "/api/v1/tickets/{id}/events/",
        "/api/v1/customers/",
        "/api/v1/organizations/",
        "/api/v1/teams/",
    ]:
        assert f"{path}:" in schema


def test_schema_documents_error_shape_and_idempotency_key(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    schema = response.json()
    assert "Error" in schema["components"]["schemas"]
    create = schema["paths"]["/api/v1/tickets/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert create["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_docs_page_serves_swagger_ui_without_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html


def test_schema_documents_token_authentication(client):
    """The token scheme (accounts.schema) is registered by the schema class settings name,
    not at start-up (tests/config/test_lazy_imports.py)."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["securitySchemes"]["tokenAuth"]["in"] == "header"
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/tickets/"]["get"]["security"]


def test_the_views_schema_class_is_drf_spectaculars_once_a_schema_is_generated(client):
    """api.openapi.AutoSchema is rebased onto drf-spectacular's when a schema is generated (a
    web worker never imports it); what it says before that is drf-spectacular's own."""
    from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

    from api.openapi import AutoSchema, activate
    from tickets.api.views import TicketViewSet

    assert AutoSchema.method_mapping == SpectacularAutoSchema.method_mapping
    activate()
    assert issubclass(AutoSchema, SpectacularAutoSchema)
    assert isinstance(TicketViewSet.schema, SpectacularAutoSchema)  # an extend_schema'd view
