"""Routing: automatic assignment per team, fair, within capacity, safe under concurrency."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from automations.models import AgentAvailability, TeamRouting
from automations.routing import availability_set, ticket_route
from tests.conftest import client_for
from tests.factories import CustomerFactory, TeamFactory, TicketFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _agents(team, n, **availability):
    agents = [UserFactory(teams=[team]) for _ in range(n)]
    for agent in agents:
        AgentAvailability.objects.create(agent=agent, available=True, **availability)
    return agents


def _open(team, **kwargs):
    return ticket_services.ticket_create(
        requester=CustomerFactory(), subject="Help", body="Please", team=team, **kwargs
    )


def test_thousand_tickets_round_robin_to_five_agents_differ_by_at_most_one(team):
    TeamRouting.objects.create(team=team, method="round_robin")
    agents = _agents(team, 5, capacity=1000)
    customer = CustomerFactory()
    for i in range(1000):
        ticket_services.ticket_create(requester=customer, subject=f"#{i}", body="x", team=team)
    counts = Counter(Ticket.objects.values_list("assignee", flat=True))
    assert set(counts) == {a.pk for a in agents}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_least_loaded_picks_the_agent_with_fewest_open_tickets(team):
    TeamRouting.objects.create(team=team, method="least_loaded")
    busy, idle = _agents(team, 2)
    for _ in range(3):
        TicketFactory(team=team, assignee=busy, status="open")
    TicketFactory(team=team, assignee=idle, status="solved")  # solved does not count
    assert Ticket.objects.get(pk=_open(team).pk).assignee == idle


def test_away_agents_and_full_agents_get_nothing_and_the_ticket_waits_in_the_queue(team):
    TeamRouting.objects.create(team=team)
    away, full = _agents(team, 2, capacity=1)
    AgentAvailability.objects.filter(agent=away).update(available=False)
    TicketFactory(team=team, assignee=full, status="pending")
    ticket = _open(team)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_chat_capacity_counts_active_chats_only(team):
    TeamRouting.objects.create(team=team)
    [agent] = _agents(team, 1, capacity=1, chat_capacity=2)
    TicketFactory(team=team, assignee=agent, status="pending", channel="email")
    TicketFactory(team=team, assignee=agent, status="open", channel="chat")
    chat = _open(team, channel="chat")
    assert Ticket.objects.get(pk=chat.pk).assignee == agent
    email = _open(team, channel="email")
    assert Ticket.objects.get(pk=email.pk).assignee is None


def test_skills_match_the_tickets_tags(team):
    TeamRouting.objects.create(team=team, match_skills=True)
    german, french = _agents(team, 2)
    AgentAvailability.objects.filter(agent=german).update(skills=["German"])
    AgentAvailability.objects.filter(agent=french).update(skills=["french"])
    assert Ticket.objects.get(pk=_open(team, tags=["french"]).pk).assignee == french
    assert Ticket.objects.get(pk=_open(team, tags=["german", "vip"]).pk).assignee == german
    assert Ticket.objects.get(pk=_open(team, tags=["spanish"]).pk).assignee is None


def test_team_without_routing_is_left_to_the_queue(team):
    _agents(team, 2)
    assert Ticket.objects.get(pk=_open(team).pk).assignee is None


def test_going_away_returns_open_tickets_to_the_queue(team):
    TeamRouting.objects.create(team=team, on_away="queue")
    [agent] = _agents(team, 1)
    ticket = _open(team)
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent
    availability_set(agent=agent, available=False)
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_going_away_reassigns_by_routing(team):
    TeamRouting.objects.create(team=team, on_away="reassign")
    first, second = _agents(team, 2)
    ticket = _open(team)
    holder = Ticket.objects.get(pk=ticket.pk).assignee
    availability_set(agent=holder, available=False)
    assert Ticket.objects.get(pk=ticket.pk).assignee == (second if holder == first else first)


def test_keep_setting_leaves_tickets_with_the_away_agent(team):
    TeamRouting.objects.create(team=team, on_away="keep")
    [agent] = _agents(team, 1)
    ticket = _open(team)
    availability_set(agent=agent, available=False)
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_moving_a_ticket_to_a_routed_team_assigns_it(team):
    billing = TeamFactory(name="Billing")
    TeamRouting.objects.create(team=billing)
    [agent] = _agents(billing, 1)
    ticket = _open(team)
    ticket_services.ticket_update(ticket=ticket, actor=None, team=billing)
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_trigger_can_assign_by_routing(team):
    from tests.factories import TriggerFactory

    other = TeamFactory(name="Tier 2")
    TeamRouting.objects.create(team=other)
    [agent] = _agents(other, 1)
    TriggerFactory(
        actions=[{"type": "set_team", "value": other.pk}, {"type": "assign", "value": "routing"}]
    )
    assert Ticket.objects.get(pk=_open(team).pk).assignee == agent


def test_get_next_ticket_still_works_beside_routing(team):
    TeamRouting.objects.create(team=team)
    claimer = UserFactory(teams=[team])  # no availability row: never routed to
    AgentAvailability.objects.create(agent=UserFactory(teams=[team]), available=True, capacity=0)
    ticket = _open(team)
    assert ticket_services.ticket_claim_next(agent=claimer).pk == ticket.pk


def test_agent_toggles_availability_through_the_api(agent, team):
    client = client_for(agent)
    response = client.post(
        "/api/v1/automations/availability/",
        {"available": True, "capacity": 4, "skills": ["de"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    row = AgentAvailability.objects.get(agent=agent)
    assert (row.available, row.capacity, row.skills) == (True, 4, ["de"])
    assert client.get("/api/v1/automations/availability/").json()["available"] is True
    bad = client.post("/api/v1/automations/availability/", {"capacity": -1}, format="json")
    assert bad.status_code == 400
    assert AgentAvailability.objects.get(agent=agent).capacity == 4


@pytest.mark.django_db(transaction=True)
def test_parallel_arrivals_never_push_an_agent_over_capacity():
    """Twelve tickets routed at once, each on its own PostgreSQL connection, to three agents
    with capacity 2: six are assigned (two each), six wait in the queue."""
    assert connection.vendor == "postgresql"
    team = TeamFactory(name="Support")
    TeamRouting.objects.create(team=team, method="least_loaded")
    agents = _agents(team, 3, capacity=2)
    tickets = [TicketFactory(team=team, status="new") for _ in range(12)]
    barrier = threading.Barrier(len(tickets))
    errors = []

    def route(ticket):
        from django.db import connection as own

        try:
            barrier.wait()
            ticket_route(ticket=ticket)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=route, args=(t,)) for t in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = Counter(
        Ticket.objects.filter(assignee__isnull=False).values_list("assignee", flat=True)
    )
    assert counts == {agent.pk: 2 for agent in agents}
    assert Ticket.objects.filter(assignee__isnull=True).count() == 6
