"""Triggers on the events other apps publish: SLA warning/breach (from the real sweep, inside
its `events.batched()` block), survey answered, customer at risk."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from slas.models import Metric
from slas.sweeps import sla_sweep
from success.health import experience_record, health_refresh
from success.models import Survey
from success.surveys import survey_answer
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    PolicyFactory,
    TierFactory,
    TriggerFactory,
)
from tickets import services as ticket_services
from tickets.models import Priority, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _tags(ticket) -> list[str]:
    return sorted(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


def test_sla_warning_and_breach_triggers_fire_from_the_sweep(team):
    policy = PolicyFactory(
        calendar=CalendarFactory(),
        warn_at_percent=50,
        calendar_targets={(Metric.RESOLUTION, Priority.NORMAL): 10},
    )
    customer = CustomerFactory(tier=TierFactory(name="Fast", rank=5, policy=policy))
    TriggerFactory(event="sla.warning", actions=[{"type": "add_tags", "value": ["warned"]}])
    TriggerFactory(
        event="sla.breached",
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {"type": "add_note", "body": "Breached: escalate."},
        ],
    )
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ticket = ticket_services.ticket_create(requester=customer, subject="Slow", body="x")
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        sla_sweep()
    assert _tags(ticket) == ["warned"]
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        sla_sweep()
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.URGENT
    fired = TicketEvent.objects.filter(ticket=ticket, kind="automation.fired").order_by("id")
    assert [e.after["event"] for e in fired] == ["sla.warning", "sla.breached"]


def test_low_survey_answer_fires_a_trigger(team):
    TriggerFactory(
        event="survey.answered",
        conditions={"all": [{"field": "status", "operator": "is", "value": "solved"}]},
        actions=[{"type": "add_tags", "value": ["detractor"]}],
    )
    customer = CustomerFactory()
    ticket = ticket_services.ticket_create(requester=customer, subject="Late", body="x")
    ticket = ticket_services.ticket_update(ticket=ticket, actor=None, status="solved")
    survey = Survey.objects.create(
        ticket=ticket,
        customer=customer,
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=30),
    )
    survey_answer(survey=survey, csat=1)
    assert _tags(ticket) == ["detractor"]


def test_customer_at_risk_fires_on_each_unresolved_ticket(team):
    TriggerFactory(event="customer.at_risk", actions=[{"type": "add_tags", "value": ["at-risk"]}])
    customer = CustomerFactory()
    first, second = (
        ticket_services.ticket_create(requester=customer, subject=s, body="x")
        for s in ("One", "Two")
    )
    done = ticket_services.ticket_create(requester=customer, subject="Done", body="x")
    ticket_services.ticket_update(ticket=done, actor=None, status="solved")
    experience_record(customer=customer, kind="sla_breach", source_key="a", ticket=first)
    experience_record(customer=customer, kind="low_csat", source_key="b", ticket=second)
    assert health_refresh(customer).at_risk
    assert (_tags(first), _tags(second), _tags(done)) == (["at-risk"], ["at-risk"], [])
