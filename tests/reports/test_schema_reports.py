"""OpenAPI documents every report and export with its parameters, enums and bounds."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

FILTERED = {"since", "until", "period", "tz", "tier", "team", "channel", "priority"}
EXPECTED = {
    "/api/v1/reports/sla/": FILTERED,
    "/api/v1/reports/backlog/": FILTERED,
    "/api/v1/reports/satisfaction/": {
        "days", "since", "until", "period", "tz", "tier", "team", "channel", "priority", "agent",
    },
    "/api/v1/reports/success/": {"since", "until", "period", "tz", "tier"},
    "/api/v1/reports/agents/": {
        "since", "until", "period", "tz", "tier", "team", "channel", "priority", "agent",
    },
    "/api/v1/exports/tickets/": {"since", "until", "tz", "output"},
    "/api/v1/exports/clocks/": {"since", "until", "tz", "output"},
    "/api/v1/exports/surveys/": {"since", "until", "tz", "output"},
    "/api/v1/exports/tickets/changes/": {"cursor", "limit"},
}  # fmt: skip


def test_every_report_documents_its_parameters_with_bounds(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path, names in EXPECTED.items():
        parameters = {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}
        assert set(parameters) == names, path
        assert "400" in schema["paths"][path]["get"]["responses"], path
    sla = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/reports/sla/"]["get"]["parameters"]
    }
    assert sla["period"]["enum"] == ["day", "month", "week"]
    assert sla["priority"]["enum"] == ["high", "low", "normal", "urgent"]
    assert (sla["tier"]["minimum"], sla["since"]["format"]) == (1, "date")
    satisfaction = schema["paths"]["/api/v1/reports/satisfaction/"]["get"]["parameters"]
    days = next(p["schema"] for p in satisfaction if p["name"] == "days")
    assert (days["minimum"], days["maximum"]) == (1, 730)
    changes = schema["paths"]["/api/v1/exports/tickets/changes/"]["get"]["parameters"]
    limit = next(p["schema"] for p in changes if p["name"] == "limit")
    assert (limit["minimum"], limit["maximum"]) == (1, 1000)
