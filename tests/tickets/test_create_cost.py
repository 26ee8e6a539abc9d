"""What creating a ticket costs in SQL once the SLA policy is warm (the steady state of a web
process): pinned, so a new subscriber to ticket.created that adds queries is noticed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slas.models import SlaClock

pytestmark = pytest.mark.django_db
BODY = {"subject": "Hi", "body": "x", "requester": {"email": "kim@acme.example"}}


def test_ticket_create_with_sla_clocks_costs_a_pinned_number_of_queries(integration_client):
    call_command("seed_demo", stdout=io.StringIO())  # tiers, policies, calendars
    assert integration_client.post("/api/v1/tickets/", BODY, format="json").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = integration_client.post(
            "/api/v1/tickets/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
        )
    assert response.status_code == 201
    assert SlaClock.objects.filter(ticket_id=response.json()["id"]).count() >= 2
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert not [s for s in statements if "slas_slapolicy" in s], "policy not cached"
    assert len(statements) <= 16, "\n".join(s[:90] for s in statements)
