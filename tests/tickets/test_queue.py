"""The agents' queue and claiming from it (concurrency on real PostgreSQL connections)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from slas.models import SlaClock
from tests.factories import PolicyFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Priority, Ticket
from tickets.services import ticket_claim_next

NOW = timezone.now()


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_queue_orders_breached_first_then_due_then_priority_then_age(
    agent_client, team, other_team, django_assert_max_num_queries
):
    soon = TicketFactory(team=team, status="open", next_due_at=NOW + timedelta(minutes=5))
    later = TicketFactory(team=team, status="new", next_due_at=NOW + timedelta(hours=2))
    breached = TicketFactory(team=team, status="open", next_due_at=NOW - timedelta(hours=1))
    SlaClock.objects.create(
        ticket=breached,
        metric="first_response",
        policy=PolicyFactory(),
        target_minutes=5,
        started_at=NOW - timedelta(hours=2),
        segment_started_at=NOW - timedelta(hours=2),
        due_at=NOW - timedelta(hours=1),
        warn_at=NOW - timedelta(hours=1),
        breached_at=NOW - timedelta(minutes=59),
    )
    urgent_no_sla = TicketFactory(team=team, status="open", priority=Priority.URGENT)
    old_no_sla = TicketFactory(team=team, status="open")
    Ticket.objects.filter(pk=old_no_sla.pk).update(created_at=NOW - timedelta(days=3))
    TicketFactory(team=team, status="pending", next_due_at=NOW)  # waiting on the customer
    TicketFactory(team=other_team, status="open", next_due_at=NOW)  # not my team
    with django_assert_max_num_queries(5):
        response = agent_client.get("/api/v1/queue/")
    assert response.status_code == 200
    assert ids(response) == [breached.pk, soon.pk, later.pk, urgent_no_sla.pk, old_no_sla.pk]
    assert response.json()["results"][0]["sla_breached"] is True
    assert response.json()["results"][1]["sla_breached"] is False


@pytest.mark.django_db
def test_queue_limit_is_validated(agent_client):
    response = agent_client.get("/api/v1/queue/?limit=0")
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "limit"


@pytest.mark.django_db
def test_claim_assigns_the_most_urgent_unassigned_ticket_then_204(agent, agent_client, team):
    TicketFactory(team=team, status="open", assignee=agent, next_due_at=NOW)
    first = TicketFactory(team=team, status="open", next_due_at=NOW + timedelta(minutes=1))
    second = TicketFactory(team=team, status="new", next_due_at=NOW + timedelta(minutes=9))
    claimed = [agent_client.post("/api/v1/queue/claim/") for _ in range(3)]
    assert [r.status_code for r in claimed] == [200, 200, 204]
    assert [r.json()["id"] for r in claimed[:2]] == [first.pk, second.pk]
    assert claimed[0].json()["assignee"]["id"] == agent.pk
    first.refresh_from_db()
    assert first.assignee == agent
    assert first.events.filter(kind="assigned", actor_user=agent).exists()


@pytest.mark.django_db
def test_integrations_cannot_use_the_queue(integration_client):
    assert integration_client.get("/api/v1/queue/").status_code == 403
    assert integration_client.post("/api/v1/queue/claim/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_parallel_claims_never_hand_out_the_same_ticket():
    """Eight agents, each on its own PostgreSQL connection, claim from 20 tickets at once."""
    assert connection.vendor == "postgresql"
    team = TeamFactory(name="Support")
    agents = [UserFactory(teams=[team]) for _ in range(8)]
    tickets = [
        TicketFactory(team=team, status="open", next_due_at=NOW + timedelta(minutes=i))
        for i in range(20)
    ]
    barrier = threading.Barrier(len(agents))
    claims: list[tuple[int, int | None]] = []
    errors = []

    def claimer(agent):
        from django.db import connection as own

        try:
            barrier.wait()
            for _ in range(4):
                ticket = ticket_claim_next(agent=agent)
                claims.append((agent.pk, ticket.pk if ticket else None))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=claimer, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    claimed = [ticket_id for _, ticket_id in claims if ticket_id is not None]
    assert len(claimed) == len(set(claimed)) == 20  # every ticket once, none twice
    assert sum(1 for _, ticket_id in claims if ticket_id is None) == 12
    owners = dict(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("pk", "assignee")
    )
    assert owners == {ticket_id: agent_id for agent_id, ticket_id in claims if ticket_id}
