"""A customer's timeline across channels: one selector merging sources, newest first, paged
with a cursor, constant queries per page; agents read customers of tickets they see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from success.models import CustomerHealth, FollowUp, FollowUpRule, PoorExperience, Survey
from tests.conftest import assert_error
from tests.factories import CustomerFactory, OrganizationFactory
from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(team, other_team):
    organization = OrganizationFactory(name="Acme")
    kim = CustomerFactory(name="Kim", organization=organization)
    now = timezone.now()
    tickets = []
    for days, team_ in ((10, team), (5, other_team), (1, team)):
        ticket = ticket_services.ticket_create(
            requester=kim, subject=f"{days} days ago", body="x", team=team_
        )
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(days=days))
        tickets.append(ticket)
    rule = FollowUpRule.objects.create(
        name="Welcome", trigger="delivery", action="email", body="Hi"
    )
    FollowUp.objects.create(
        rule=rule,
        customer=kim,
        subject_key="k",
        due_at=now - timedelta(days=3),
        state="sent",
        done_at=now - timedelta(days=3),
    )
    Survey.objects.create(
        ticket=tickets[0],
        customer=kim,
        sent_at=now - timedelta(days=8),
        expires_at=now + timedelta(days=8),
        csat=2,
        answered_at=now - timedelta(days=7),
    )
    PoorExperience.objects.create(
        customer=kim,
        kind="low_csat",
        ticket=tickets[0],
        source_key="survey:1",
        occurred_at=now - timedelta(days=7, hours=1),
    )
    PoorExperience.objects.create(
        customer=kim,
        kind="sla_breached",
        ticket=tickets[1],
        source_key="ticket:2",
        occurred_at=now - timedelta(days=4),
    )
    CustomerHealth.objects.create(
        customer=kim, score=40, at_risk=True, at_risk_since=now - timedelta(days=2)
    )
    return kim, tickets


def url(customer):
    return f"/api/v1/customers/{customer.pk}/timeline/"


def test_manager_sees_every_source_newest_first(manager_client, history):
    kim, tickets = history
    entries = manager_client.get(url(kim)).json()["results"]
    assert [e["source"] for e in entries] == [
        "ticket",
        "at_risk",
        "followup",
        "poor_experience",
        "ticket",
        "survey",
        "poor_experience",
        "ticket",
    ]
    assert entries[0]["ticket_id"] == tickets[2].pk
    assert "1 message, last" in entries[0]["detail"]
    assert entries[5]["detail"] == "CSAT 2"
    assert entries[1]["detail"] == "health 40/100"


def test_agent_sees_only_their_teams_tickets_and_no_surveys(agent_client, history):
    kim, tickets = history
    entries = agent_client.get(url(kim)).json()["results"]
    assert [e["source"] for e in entries] == [
        "ticket",
        "at_risk",
        "followup",
        "poor_experience",
        "ticket",
    ]
    assert tickets[1].pk not in [e["ticket_id"] for e in entries]


def test_agent_of_no_ticket_of_the_customer_gets_404(agent_client, other_agent_client, history):
    stranger = CustomerFactory()
    assert_error(agent_client.get(url(stranger)), 404)
    assert other_agent_client.get(url(history[0])).status_code == 200


def test_pages_join_up_with_constant_queries(manager_client, history, django_assert_num_queries):
    kim, _ = history
    manager_client.get("/api/v1/ping/")  # from here the token is read from the cache
    seen = []
    next_url = f"{url(kim)}?page_size=2"
    pages = 0
    while next_url:
        with django_assert_num_queries(7):  # the customer, one per source (6); token cached
            page = manager_client.get(next_url).json()
        seen += [(e["source"], e["id"]) for e in page["results"]]
        next_url = page["next"]
        pages += 1
    assert pages == 4
    everything = manager_client.get(url(kim)).json()["results"]
    assert seen == [(e["source"], e["id"]) for e in everything]


def test_organization_timeline_and_strict_parameters(manager_client, history):
    kim, _ = history
    org = manager_client.get(f"/api/v1/organizations/{kim.organization_id}/timeline/")
    assert len(org.json()["results"]) == 8
    assert_error(manager_client.get(f"{url(kim)}?page=2"), 400, field="page")
    assert_error(manager_client.get(f"{url(kim)}?cursor=nonsense"), 400, field="cursor")
    assert_error(manager_client.get(f"{url(kim)}?page_size=0"), 400, field="page_size")


def test_integrations_read_no_timeline(integration_client, history):
    assert_error(integration_client.get(url(history[0])), 403)
