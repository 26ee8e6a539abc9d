"""Merging a ticket into another: the source closed with a pointer, its messages in the
target, both audited; only tickets the agent sees, of the same customer."""

from __future__ import annotations

import json

import pytest

from slas.models import Metric, SlaClock
from tests.conftest import assert_error
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    OrganizationFactory,
    PolicyFactory,
    TicketFactory,
    TierFactory,
)
from tickets import services
from tickets.models import EventKind, Message, Priority, Ticket, TicketMerge

pytestmark = pytest.mark.django_db


def merge(client, source, target):
    return client.post(
        f"/api/v1/tickets/{source.pk}/merge/", {"target_id": target.pk}, format="json"
    )


@pytest.fixture
def pair(team):
    customer = CustomerFactory(name="Kim Lee")
    source = services.ticket_create(
        requester=customer, subject="Parcel damaged (again)", body="Second mail", team=team
    )
    target = services.ticket_create(
        requester=customer, subject="Parcel damaged", body="First mail", team=team
    )
    return source, target


def test_merge_closes_the_source_with_a_pointer_and_audits_both(agent_client, agent, pair):
    source, target = pair
    response = merge(agent_client, source, target)
    assert response.status_code == 200, response.content
    assert response.json()["target"]["id"] == target.pk
    source.refresh_from_db()
    assert source.status == "closed"
    assert source.closed_at is not None
    assert TicketMerge.objects.get(source=source).target == target
    kinds = list(source.events.values_list("kind", "after"))
    assert (EventKind.MERGED_INTO, {"merged_into": target.pk}) in kinds
    assert (EventKind.STATUS_CHANGED, {"status": "closed"}) in kinds
    merged_from = target.events.get(kind=EventKind.MERGED_FROM)
    assert merged_from.after["merged_from"] == source.pk
    assert merged_from.actor_user == agent


def test_the_targets_conversation_shows_the_merged_messages(agent_client, pair):
    source, target = pair
    merge(agent_client, source, target)
    bodies = [
        (m["ticket"], m["body_text"])
        for m in agent_client.get(f"/api/v1/tickets/{target.pk}/messages/").json()["results"]
    ]
    assert bodies == [(source.pk, "Second mail"), (target.pk, "First mail")]


def test_merged_source_stops_its_sla_clocks(agent_client, team):
    policy = PolicyFactory(
        calendar=CalendarFactory(), calendar_targets={(Metric.RESOLUTION, Priority.NORMAL): 480}
    )
    organization = OrganizationFactory(tier=TierFactory(policy=policy, channels=["web"]))
    customer = CustomerFactory(organization=organization)
    source, target = (
        services.ticket_create(requester=customer, subject=s, body="x", team=team)
        for s in ("Duplicate", "Original")
    )
    assert SlaClock.objects.filter(ticket=source, fulfilled_at__isnull=True).exists()
    merge(agent_client, source, target)
    assert not SlaClock.objects.filter(ticket=source, fulfilled_at__isnull=True).exists()
    assert SlaClock.objects.filter(ticket=target, fulfilled_at__isnull=True).exists()


def test_merging_a_target_elsewhere_keeps_one_hop(agent_client, pair, team):
    source, target = pair
    third = services.ticket_create(requester=source.requester, subject="Third", body="x", team=team)
    merge(agent_client, source, target)
    merge(agent_client, target, third)
    assert TicketMerge.objects.get(source=source).target == third
    tickets = {
        m["ticket"]
        for m in agent_client.get(f"/api/v1/tickets/{third.pk}/messages/").json()["results"]
    }
    assert tickets == {source.pk, target.pk, third.pk}


def test_tickets_of_different_customers_are_not_merged(agent_client, team):
    source = TicketFactory(team=team)
    target = TicketFactory(team=team)
    assert_error(merge(agent_client, source, target), 400, field="target_id")
    assert Ticket.objects.get(pk=source.pk).status == "new"


def test_merge_into_itself_or_a_closed_ticket_is_refused(agent_client, pair):
    source, target = pair
    assert_error(merge(agent_client, source, source), 400, field="target_id")
    Ticket.objects.filter(pk=target.pk).update(status="closed")
    assert_error(merge(agent_client, source, target), 409, "closed")
    assert not TicketMerge.objects.exists()


def test_agent_merges_only_tickets_they_see(other_agent_client, agent_client, pair, other_team):
    source, target = pair
    # The source outside their teams: 404; the target outside: 400 on target_id.
    assert_error(merge(other_agent_client, source, target), 404)
    mine = services.ticket_create(
        requester=source.requester, subject="Mine", body="x", team=other_team
    )
    assert_error(merge(other_agent_client, mine, target), 400, field="target_id")
    assert not TicketMerge.objects.exists()
    assert Message.objects.filter(ticket=mine).count() == 1


def test_integrations_cannot_merge(integration_client, pair):
    source, target = pair
    assert_error(merge(integration_client, source, target), 403)


def test_the_api_shows_the_pointer_in_constant_queries(
    agent_client, pair, team, django_assert_max_num_queries
):
    source, target = pair
    merge(agent_client, source, target)
    assert agent_client.get(f"/api/v1/tickets/{source.pk}/").json()["merged_into"] == target.pk
    assert agent_client.get(f"/api/v1/tickets/{target.pk}/").json()["merged_into"] is None
    with django_assert_max_num_queries(6) as first:
        agent_client.get("/api/v1/tickets/")
    for n in range(5):
        duplicate = services.ticket_create(
            requester=source.requester, subject=f"dup {n}", body="x", team=team
        )
        services.ticket_merge(source=duplicate, target=target, actor=None)
    with django_assert_max_num_queries(len(first.captured_queries)):
        rows = agent_client.get("/api/v1/tickets/").json()["results"]
    assert sum(1 for row in rows if row["merged_into"] == target.pk) == 6


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def test_a_conversation_reads_only_its_tickets_messages(agent_client, pair, team):
    """The target's conversation (its messages and the merged ticket's) is read through the
    messages' ticket index however many messages other tickets hold: among 20,000 others,
    the executor reads its 2 messages and filters nothing away. The form `ticket_id = X OR
    ticket_id IN (merged)` could not use that index and read them all in created order."""
    from django.db import connection

    from tickets.selectors import ticket_messages

    source, target = pair
    merge(agent_client, source, target)
    other = services.ticket_create(
        requester=CustomerFactory(), subject="Other", body="Elsewhere", team=team
    )
    with connection.cursor() as cursor:
        # 2,000 more tickets of 10 messages each, as a desk's history is, written in SQL; the
        # search documents' triggers (a rebuild per row) are off for it, and the deferred
        # foreign-key checks pending so far run first (ALTER TABLE needs none pending).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in ("ticket", "message"):
            cursor.execute(f"ALTER TABLE tickets_{table} DISABLE TRIGGER hd_ticket_search_{table}")
        columns = (
            "subject, status, priority, type, channel, kind, external_ref, created_at,"
            " updated_at, outside_plan, version, requester_id, team_id"
        )
        cursor.execute(
            f"INSERT INTO tickets_ticket ({columns}) SELECT {columns} FROM tickets_ticket"  # noqa: S608
            " CROSS JOIN generate_series(1, 2000) WHERE id = %s",
            [other.pk],
        )
        cursor.execute(
            "INSERT INTO tickets_message (ticket_id, direction, is_public, channel, body_text,"
            " body_html, external_id, withheld_parts, created_at)"
            " SELECT t.id, 'inbound', true, 'email', 'Elsewhere', '', '', '[]',"
            " now() - n * interval '1 minute' FROM tickets_ticket t"
            " CROSS JOIN generate_series(1, 10) n WHERE t.subject = 'Other'"
        )
        cursor.execute("ANALYZE tickets_message")
    messages = ticket_messages(target, include_internal=True)
    assert [m.body_text for m in messages] == ["Second mail", "First mail"]
    sql, params = messages.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0][0]["Plan"]
    nodes = _nodes(plan)
    read = sum(
        n["Actual Rows"] * n["Actual Loops"] + n.get("Rows Removed by Filter", 0)
        for n in nodes
        if n.get("Relation Name") == "tickets_message"
    )
    assert read == 2, json.dumps(plan, indent=1)
    assert all(n.get("Rows Removed by Join Filter", 0) == 0 for n in nodes), plan
