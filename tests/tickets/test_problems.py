"""Problems and incidents: link customers' tickets to the problem; when it is solved, each
incident's requester gets one public update and the incident is solved (configurable)."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.factories import CustomerFactory, TicketFactory
from tickets import services
from tickets.models import EventKind, Message, ProblemLink, Ticket

pytestmark = pytest.mark.django_db


def link(client, problem, *incidents):
    return client.post(
        f"/api/v1/tickets/{problem.pk}/incidents/",
        {"incident_ids": [i.pk for i in incidents]},
        format="json",
    )


def solve(client, ticket):
    response = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "solved"}, format="json")
    assert response.status_code == 200, response.content


@pytest.fixture
def outage(team):
    problem = services.ticket_create(
        requester=CustomerFactory(name="Ops"), subject="Checkout down", body="x", team=team
    )
    incidents = [
        services.ticket_create(
            requester=CustomerFactory(name=name),
            subject=f"Cannot pay ({name})",
            body="x",
            team=team,
        )
        for name in ("Kim Lee", "Ana Ruiz", "Bo")
    ]
    return problem, incidents


def test_linking_makes_a_problem_and_its_incidents_listed(agent_client, outage):
    problem, incidents = outage
    response = link(agent_client, problem, *incidents)
    assert response.status_code == 201, response.content
    listed = agent_client.get(f"/api/v1/tickets/{problem.pk}/incidents/").json()["results"]
    assert [row["id"] for row in listed] == [t.pk for t in incidents]
    assert listed[0]["requester"] == "Kim Lee"
    assert Ticket.objects.get(pk=problem.pk).type == "problem"
    assert set(
        Ticket.objects.filter(pk__in=[t.pk for t in incidents]).values_list("type", flat=True)
    ) == {"incident"}
    assert incidents[0].events.filter(kind=EventKind.INCIDENT_LINKED).count() == 1


def test_incident_list_costs_the_same_for_many_incidents(
    agent_client, outage, team, django_assert_num_queries
):
    problem, incidents = outage
    link(agent_client, problem, *incidents)
    url = f"/api/v1/tickets/{problem.pk}/incidents/"
    # the problem (visibility), one page of links with their tickets (the token is cached)
    with django_assert_num_queries(2):
        agent_client.get(url)
    more = [TicketFactory(team=team) for _ in range(10)]
    link(agent_client, problem, *more)
    with django_assert_num_queries(2):
        assert len(agent_client.get(url).json()["results"]) == 13


def test_solving_the_problem_updates_each_incident_once(agent_client, agent, outage):
    problem, incidents = outage
    link(agent_client, problem, *incidents)
    response = agent_client.patch(
        f"/api/v1/tickets/{problem.pk}/problem/",
        {"update_body": "Hi {{ customer.first_name }}, #{{ ticket.number }} is fixed."},
        format="json",
    )
    assert response.status_code == 200, response.content
    solve(agent_client, problem)
    for incident in incidents:
        incident.refresh_from_db()
        assert incident.status == "solved"
        replies = Message.objects.filter(ticket=incident, direction="outbound", is_public=True)
        first = incident.requester.name.split()[0]
        assert [m.body_text for m in replies] == [f"Hi {first}, #{incident.pk} is fixed."]
        assert replies.get().author_user == agent
    sent = problem.events.get(kind=EventKind.PROBLEM_UPDATE_SENT)
    assert sorted(sent.after["incidents"]) == sorted(t.pk for t in incidents)
    # Reopened and solved again: nobody hears twice.
    agent_client.patch(f"/api/v1/tickets/{problem.pk}/", {"status": "open"}, format="json")
    solve(agent_client, problem)
    assert Message.objects.filter(ticket__in=incidents, direction="outbound").count() == 3
    body = agent_client.get(f"/api/v1/tickets/{problem.pk}/problem/").json()
    assert (body["incidents"], body["notified"]) == (3, 3)


def test_incidents_can_stay_open_and_closed_ones_are_skipped(agent_client, outage):
    problem, (kim, ana, bo) = outage
    link(agent_client, problem, kim, ana, bo)
    agent_client.patch(
        f"/api/v1/tickets/{problem.pk}/problem/", {"solve_incidents": False}, format="json"
    )
    Ticket.objects.filter(pk=bo.pk).update(status="closed")
    solve(agent_client, problem)
    kim.refresh_from_db()
    assert kim.status == "open"  # replied to (a new ticket opens), not solved
    assert (
        "has been fixed" in Message.objects.filter(ticket=kim, direction="outbound").get().body_text
    )
    assert not Message.objects.filter(ticket=bo, direction="outbound").exists()


def test_a_bad_placeholder_is_a_field_error_and_nothing_is_stored(agent_client, outage):
    problem, _ = outage
    response = agent_client.patch(
        f"/api/v1/tickets/{problem.pk}/problem/",
        {"update_body": "Hi {{ customer.requester.password }}"},
        format="json",
    )
    assert_error(response, 400, field="update_body")
    assert agent_client.get(f"/api/v1/tickets/{problem.pk}/problem/").json()["update_body"] == ""


def test_only_tickets_the_agent_sees_are_linked(
    other_agent_client, agent_client, outage, other_team
):
    problem, incidents = outage
    assert_error(link(other_agent_client, problem, *incidents), 404)
    theirs = TicketFactory(team=other_team)
    assert_error(link(other_agent_client, theirs, *incidents), 400, field="incident_ids")
    assert_error(link(agent_client, problem, problem), 400, field="incident_ids")
    assert not ProblemLink.objects.exists()


def test_unlinking_an_incident(agent_client, outage):
    problem, incidents = outage
    link(agent_client, problem, *incidents)
    url = f"/api/v1/tickets/{problem.pk}/incidents/{incidents[0].pk}/"
    assert agent_client.delete(url).status_code == 204
    assert_error(agent_client.delete(url), 404)
    assert ProblemLink.objects.filter(problem=problem).count() == 2
    assert incidents[0].events.filter(kind=EventKind.INCIDENT_UNLINKED).count() == 1
