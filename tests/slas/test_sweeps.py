"""Warnings, breaches and escalations: applied by sweeps, once each, even concurrently."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection

from core import events
from slas.models import EscalationStep, Metric, SlaClock
from slas.sweeps import sla_sweep
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TierFactory,
    UserFactory,
)
from tickets import services as ticket_services
from tickets.models import Priority, Ticket, TicketEvent

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TARGETS = {(Metric.FIRST_RESPONSE, Priority.NORMAL): 60, (Metric.RESOLUTION, Priority.NORMAL): 600}
SLA_KINDS = ("sla.warning", "sla.breached", "sla.escalated")


def make_world():
    support = TeamFactory(name="Support", is_default=True)
    escalations = TeamFactory(name="Escalations")
    agent = UserFactory(teams=[support], email="alice@helpdesk.test")
    policy = PolicyFactory(
        calendar=CalendarFactory(), calendar_targets=TARGETS, escalation_team=escalations
    )
    EscalationStep.objects.create(policy=policy, level=1, after_minutes=0, raise_priority=True)
    EscalationStep.objects.create(
        policy=policy, level=2, after_minutes=30, raise_priority=True, move_to_escalation_team=True
    )
    tier = TierFactory(name="Standard", policy=policy)
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))
    return customer, agent, escalations


def sla_events(ticket) -> list[str]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind__in=SLA_KINDS)
        .order_by("id")
        .values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_warning_breach_and_escalations_are_applied_once_each(django_capture_on_commit_callbacks):
    customer, _, escalations = make_world()
    published = []
    events.subscribe(events.SLA_BREACHED, published.append)
    try:
        with time_machine.travel(MONDAY_10, tick=False) as traveller:
            ticket = ticket_services.ticket_create(requester=customer, subject="Help", body="x")
            traveller.shift(timedelta(minutes=44))
            assert sla_sweep() == {"warnings": 0, "breaches": 0, "escalations": 0}
            traveller.shift(timedelta(minutes=1))  # 75 % of 60 minutes
            with django_capture_on_commit_callbacks(execute=True):
                assert sla_sweep()["warnings"] == 1
            assert sla_events(ticket) == ["sla.warning"]
            assert "alice@helpdesk.test" in mail.outbox[-1].to
            traveller.shift(timedelta(minutes=15))  # due
            assert sla_sweep() == {"warnings": 0, "breaches": 1, "escalations": 1}
            ticket.refresh_from_db()
            assert ticket.priority == Priority.HIGH  # level 1: raised at once
            traveller.shift(timedelta(minutes=29))
            sla_sweep()
            traveller.shift(timedelta(minutes=1))
            assert sla_sweep()["escalations"] == 1  # level 2, 30 minutes after the breach
            for _ in range(3):
                traveller.shift(timedelta(hours=1))
                sla_sweep()
    finally:
        events.unsubscribe(events.SLA_BREACHED, published.append)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert ticket.team == escalations
    assert sla_events(ticket) == ["sla.warning", "sla.breached", "sla.escalated", "sla.escalated"]
    assert [e.data["metric"] for e in published] == [Metric.FIRST_RESPONSE]
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.breached_at == MONDAY_10 + timedelta(minutes=60)
    assert first.escalation_level == 2
    assert first.next_escalation_at is None


@pytest.mark.django_db
def test_fulfilled_or_paused_clocks_are_not_breached():
    customer, agent, _ = make_world()
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = ticket_services.ticket_create(requester=customer, subject="Help", body="x")
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="?", status="pending")
        traveller.shift(timedelta(days=2))
        assert sla_sweep() == {"warnings": 0, "breaches": 0, "escalations": 0}
    assert sla_events(ticket) == []


@pytest.mark.django_db
def test_a_reply_after_the_breach_stops_further_escalation():
    customer, agent, _ = make_world()
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = ticket_services.ticket_create(requester=customer, subject="Help", body="x")
        traveller.shift(timedelta(minutes=61))
        sla_sweep()
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="Sorry!")
        traveller.shift(timedelta(hours=2))
        sla_sweep()
    assert sla_events(ticket) == ["sla.warning", "sla.breached", "sla.escalated"]


@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_apply_each_step_exactly_once():
    """Four threads, each with its own PostgreSQL connection, sweep the same 40 due clocks."""
    assert connection.vendor == "postgresql"
    customer, _, _ = make_world()
    with time_machine.travel(MONDAY_10, tick=False):
        tickets = [
            ticket_services.ticket_create(requester=customer, subject=f"T{i}", body="x")
            for i in range(40)
        ]
    later = MONDAY_10 + timedelta(hours=12)  # every clock is due for warning, breach, levels
    barrier = threading.Barrier(4)
    errors, done = [], []

    def sweeper():
        from django.db import connection as own

        try:
            barrier.wait()
            for _ in range(3):
                done.append(sla_sweep(now=later, batch_size=5))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Rows skipped while another sweeper held their ticket are the next sweep's work.
    sla_sweep(now=later)
    ids = [t.pk for t in tickets]
    counts = {
        kind: TicketEvent.objects.filter(ticket_id__in=ids, kind=kind).count() for kind in SLA_KINDS
    }
    # two metrics per ticket warn and breach; each breached clock escalates at level 1 only
    # (level 2 is 30 minutes after the breach, which is `later` itself, so not yet due).
    assert counts == {"sla.warning": 80, "sla.breached": 80, "sla.escalated": 80}
    # one email per applied step to the team's agent, queued once the step committed
    assert len(mail.outbox) == 240
    assert set(Ticket.objects.filter(pk__in=ids).values_list("priority", flat=True)) == {
        Priority.URGENT
    }


@pytest.mark.django_db
def test_a_worker_dying_mid_sweep_loses_nothing_and_the_next_sweep_finishes():
    """A process killed mid-batch (here: an exception no handler catches, like the
    SystemExit of a warm shutdown) rolls back its whole batch; the rows stay due."""
    customer, _, _ = make_world()
    with time_machine.travel(MONDAY_10, tick=False):
        tickets = [
            ticket_services.ticket_create(requester=customer, subject=f"T{i}", body="x")
            for i in range(6)
        ]
    later = MONDAY_10 + timedelta(minutes=61)
    breaches = []

    def die_on_fourth(event):
        breaches.append(event)
        if len(breaches) == 4:
            raise SystemExit("worker killed")

    events.subscribe(events.SLA_BREACHED, die_on_fourth)
    try:
        with pytest.raises(SystemExit):
            sla_sweep(now=later)
    finally:
        events.unsubscribe(events.SLA_BREACHED, die_on_fourth)
    assert not SlaClock.objects.filter(breached_at__isnull=False).exists()
    assert not TicketEvent.objects.filter(kind="sla.breached").exists()

    assert sla_sweep(now=later)["breaches"] == 6
    for ticket in tickets:
        assert sla_events(ticket)[:2] == ["sla.warning", "sla.breached"]


@pytest.mark.django_db
def test_breaches_in_one_batch_become_poor_experiences_and_flag_the_customer():
    """The SLA sweep hands its breaches to the follow-ups app in one batch (events.batched);
    the health sweep then flags the customer with two breached tickets."""
    from success.models import CustomerHealth, PoorExperience
    from success.tasks import health_sweep

    customer, _, _ = make_world()
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        tickets = [
            ticket_services.ticket_create(requester=customer, subject=f"Help {n}", body="x")
            for n in range(2)
        ]
        traveller.shift(timedelta(minutes=61))
        assert sla_sweep()["breaches"] == 2
        assert set(PoorExperience.objects.values_list("ticket_id", flat=True)) == {
            t.pk for t in tickets
        }
        health_sweep()
    assert CustomerHealth.objects.get(customer=customer).at_risk
