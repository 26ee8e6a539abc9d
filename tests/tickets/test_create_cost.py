"""What creating a ticket costs in SQL once the SLA policy is warm (the steady state of a web
process): pinned, so a new subscriber to ticket.created that adds queries is noticed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slas.models import SlaClock
from tickets.models import EventKind, Tag, Ticket

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
    # Idempotency claim; the requester's identity (with customer, organization and how many
    # identities it has); ticket, message, both clocks and the audit event (one statement:
    # rows.insert_with, the clocks planned on ticket.opening); the stored response; the
    # default team (not cached across requests unless DEFAULT_TEAM_CACHE_SECONDS is set). No
    # token or tier read (cached), no re-read of the
    # ticket (answered from the objects in hand), and no UPDATE of it: its next_due_at was
    # planned before its INSERT (the ticket.opening event). No read of the requester's
    # visible identities: kim has one, named by this request, so all are in hand.
    assert len(statements) == 5, "\n".join(s[:90] for s in statements)
    assert not [s for s in statements if s.startswith('UPDATE "tickets_ticket"')]
    assert [s.split()[0] for s in statements].count("INSERT") == 1  # the claim
    (create,) = [s for s in statements if s.startswith("WITH")]
    assert create.count('INSERT INTO "tickets_message"') == 1
    assert create.count('INSERT INTO "slas_slaclock"') == 2
    assert create.count('INSERT INTO "tickets_ticketevent"') == 1
    # the audit event names the first message, which the same statement wrote
    ticket = Ticket.objects.get(pk=response.json()["id"])
    event = ticket.events.get(kind=EventKind.CREATED)
    assert event.after["message"] == ticket.messages.get().pk
    assert event.after["subject"] == "Hi"
    savepoints = [q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
    # Only the request's own transaction (a savepoint here, inside the test's transaction):
    # the services join it (tickets.api.views: savepoints_joined).
    assert len(savepoints) == 1, "a nested atomic block that has nothing to protect?"


def test_tags_cost_one_statement_more(integration_client):
    """The tags are found or created in one statement; the ticket's links to them are
    written in the ticket's own statement."""
    call_command("seed_demo", stdout=io.StringIO())
    assert integration_client.post("/api/v1/tickets/", BODY, format="json").status_code == 201
    body = {**BODY, "tags": ["Damaged", "parcel", "late"]}
    with CaptureQueriesContext(connection) as queries:
        response = integration_client.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # without a key: the requester, the default team, the ticket's statement; and the tags
    assert len(statements) == 3 + 1, "\n".join(s[:90] for s in statements)
    (create,) = [s for s in statements if s.startswith("WITH p AS")]
    assert create.count('INSERT INTO "tickets_ticket_tags"') == 3
    assert (
        sorted(Tag.objects.get(name=n).tickets.get().pk for n in ("damaged", "late"))
        == [response.json()["id"]] * 2
    )


def test_a_cached_default_team_saves_one_statement(integration_client, settings):
    settings.DEFAULT_TEAM_CACHE_SECONDS = 60
    call_command("seed_demo", stdout=io.StringIO())
    assert integration_client.post("/api/v1/tickets/", BODY, format="json").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = integration_client.post("/api/v1/tickets/", BODY, format="json")
    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert not [s for s in statements if "is_default" in s], "the default team was read"


def test_the_create_response_is_what_reading_the_ticket_answers(integration_client):
    """Answered from the objects in hand, it must be exactly what a read of the row says."""
    call_command("seed_demo", stdout=io.StringIO())
    body = {**BODY, "tags": ["Damaged", "parcel"], "priority": "high"}
    created = integration_client.post("/api/v1/tickets/", body, format="json")
    assert created.status_code == 201, created.content
    read = integration_client.get(f"/api/v1/tickets/{created.json()['id']}/")
    assert created.json() == read.json()
    assert created.json()["tags"] == ["damaged", "parcel"]
    assert created.json()["next_due_at"] is not None


def test_a_trigger_that_changes_the_new_ticket_shows_in_the_create_response(
    integration_client, team
):
    """The objects in hand are stale once a subscriber changed the ticket: read back then."""
    from tests.factories import TriggerFactory

    TriggerFactory(actions=[{"type": "set_priority", "value": "urgent"}])
    created = integration_client.post("/api/v1/tickets/", BODY, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["priority"] == "urgent"
    read = integration_client.get(f"/api/v1/tickets/{created.json()['id']}/")
    assert created.json() == read.json()


def test_tags_cost_two_statements_and_read_back_in_the_databases_order(integration_client):
    """New and existing tags, in Russian, Latvian and English: one statement finds or creates
    them, one links them; the response lists them as a read of the ticket does."""
    call_command("seed_demo", stdout=io.StringIO())
    first = {**BODY, "tags": ["Доставка", "parcel"]}
    assert integration_client.post("/api/v1/tickets/", first, format="json").status_code == 201
    body = {**BODY, "tags": ["parcel", "piegāde", "Доставка", "Zebra", "ābols", "parcel"]}
    with CaptureQueriesContext(connection) as queries:
        created = integration_client.post("/api/v1/tickets/", body, format="json")
    assert created.status_code == 201, created.content
    tables = ('"tickets_tag"', '"tickets_ticket_tags"')
    tagging = [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in tables)]
    assert len(tagging) == 2, tagging
    read = integration_client.get(f"/api/v1/tickets/{created.json()['id']}/").json()
    assert created.json()["tags"] == read["tags"]
    assert sorted(read["tags"]) == sorted(["parcel", "piegāde", "доставка", "zebra", "ābols"])
    assert Tag.objects.filter(name="parcel").count() == 1
