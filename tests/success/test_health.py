"""Customer health: poor experiences counted by cause in a rolling window; at two the
customer is flagged at risk, once, and the at-risk rules fire once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from core import events
from success import health
from success.models import CustomerHealth, ExperienceKind, FollowUp, Survey
from success.surveys import survey_token
from success.tasks import expire_old_flags, followup_sweep, health_sweep
from tests.factories import FollowUpRuleFactory, TeamFactory, TicketFactory
from tickets import services as tickets
from tickets.models import Ticket, TicketKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def outreach_rule(db):
    return FollowUpRuleFactory(
        trigger="customer_at_risk",
        action="outreach",
        delay_minutes=0,
        team=TeamFactory(name="Customer Success"),
        subject="{{ customer.name }} is at risk: call",
        body="Two poor experiences lately.",
    )


def _breach(ticket):
    events.publish(events.SLA_BREACHED, ticket=ticket, data={"metric": "first_response"})
    health_sweep()  # beat runs it every few seconds


def test_two_poor_experiences_flag_once_and_fire_the_rule_once(customer, outreach_rule):
    seen = []
    events.subscribe(events.CUSTOMER_AT_RISK, seen.append)
    try:
        first, second, third = (TicketFactory(requester=customer) for _ in range(3))
        _breach(first)
        _breach(first)  # the same ticket breaching again (another metric) is the same cause
        assert not CustomerHealth.objects.get(customer=customer).at_risk
        _breach(second)
        _breach(third)  # already at risk: no second flag
    finally:
        events.unsubscribe(events.CUSTOMER_AT_RISK, seen.append)

    state = CustomerHealth.objects.get(customer=customer)
    assert state.at_risk
    assert [e.customer for e in seen] == [customer]
    assert {r["kind"] for r in state.reasons} == {ExperienceKind.SLA_BREACHED}
    assert FollowUp.objects.filter(rule=outreach_rule).count() == 1
    followup_sweep()
    outreach = Ticket.objects.get(kind=TicketKind.PROACTIVE)
    assert outreach.subject == "Kim is at risk: call"
    assert outreach.team.name == "Customer Success"


def test_a_bad_survey_and_a_reopened_ticket_flag_the_customer(customer, outreach_rule, team):
    ticket = tickets.ticket_create(requester=customer, subject="Broken", body="x", team=team)
    tickets.ticket_update(ticket=ticket, actor=None, status="solved")
    survey = Survey.objects.create(
        ticket=ticket,
        customer=customer,
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30),
    )
    path = f"/surveys/{survey_token(survey)}/"
    Client().post(path, {"csat": 1, "ces": 7, "nps": 0}, content_type="application/json")
    state = CustomerHealth.objects.get(customer=customer)
    assert not state.at_risk  # one bad answer is one poor experience, however many scores
    assert len(state.reasons) == 3

    tickets.ticket_update(ticket=ticket, actor=None, status="open")  # reopened
    health_sweep()
    state.refresh_from_db()
    assert state.at_risk
    assert FollowUp.objects.filter(rule=outreach_rule).count() == 1


def test_a_changed_answer_withdraws_its_poor_experience(customer, team):
    ticket = TicketFactory(requester=customer, status="solved")
    survey = Survey.objects.create(
        ticket=ticket,
        customer=customer,
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    path = f"/surveys/{survey_token(survey)}/"
    Client().post(path, {"csat": 1}, content_type="application/json")
    assert customer.poor_experiences.count() == 1
    Client().post(path, {"csat": 5}, content_type="application/json")
    assert customer.poor_experiences.count() == 0
    assert CustomerHealth.objects.get(customer=customer).score == 100


def test_the_sweep_counts_new_experiences_once(customer):
    first, second = TicketFactory(requester=customer), TicketFactory(requester=customer)
    events.publish(events.SLA_BREACHED, ticket=first, data={})
    events.publish(events.SLA_BREACHED, ticket=second, data={})
    assert not CustomerHealth.objects.filter(customer=customer).exists()  # not yet counted
    assert health_sweep() == 2
    assert CustomerHealth.objects.get(customer=customer).at_risk
    assert health_sweep() == 0
    assert not customer.poor_experiences.filter(counted_at__isnull=True).exists()


def test_score_formula(customer):
    assert health.health_score(customer)[0] == 100
    _breach(TicketFactory(requester=customer, status="solved"))
    assert health.health_score(customer)[0] == 80
    for _ in range(3):
        TicketFactory(requester=customer, status="open")
    assert health.health_score(customer)[0] == 70  # -20 breach, -10 for 3 unresolved tickets
    ticket = TicketFactory(requester=customer, status="solved")
    Survey.objects.create(
        ticket=ticket,
        customer=customer,
        csat=5,
        sent_at=timezone.now(),
        expires_at=timezone.now(),
        answered_at=timezone.now(),
    )
    assert health.health_score(customer)[0] == 82  # 0.6 x 70 + 0.4 x 100


def test_poor_experiences_leave_the_window_and_the_flag_clears(customer, settings):
    _breach(TicketFactory(requester=customer))
    _breach(TicketFactory(requester=customer))
    assert CustomerHealth.objects.get(customer=customer).at_risk
    later = timezone.now() + timedelta(days=settings.AT_RISK_WINDOW_DAYS + 1)
    with time_machine.travel(later):
        assert expire_old_flags() == 1
    state = CustomerHealth.objects.get(customer=customer)
    assert (state.at_risk, state.at_risk_since, state.score) == (False, None, 100)


def test_at_risk_report_lists_customers_with_reasons(customer, manager_client):
    _breach(TicketFactory(requester=customer))
    _breach(TicketFactory(requester=customer))
    rows = manager_client.get("/api/v1/reports/at-risk/").json()["results"]
    assert [(r["id"], r["score"], len(r["reasons"])) for r in rows] == [(customer.pk, 60, 2)]
