"""Time rules: due rows kept by ticket events, applied once by the sweep, never a scan."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from automations.models import TimeRule, TimeRuleDue
from automations.sweeps import time_rules_sweep
from automations.timers import add_business_days
from slas.business_time import CalendarSpec, Interval
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    PolicyFactory,
    TierFactory,
    TimeRuleFactory,
)
from tickets import services as ticket_services
from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

MONDAY = datetime.fromisoformat("2026-03-02T10:00:00+01:00")  # Berlin, a working Monday


def _open(customer=None, **kwargs):
    return ticket_services.ticket_create(
        requester=customer or CustomerFactory(), subject="Refund", body="Where is it?", **kwargs
    )


def _set(ticket, status):
    return ticket_services.ticket_update(ticket=ticket, actor=None, status=status)


def _defaults():
    return {rule.name.split()[0]: rule for rule in TimeRule.objects.all()}


def test_pending_ticket_gets_due_rows_for_the_shipped_defaults(team):
    with time_machine.travel(MONDAY, tick=False):
        ticket = _set(_open(), "pending")
    rows = {row.rule.name: row.due_at for row in TimeRuleDue.objects.filter(ticket=ticket)}
    # No calendar: business days are days (24/7).
    assert rows == {
        "Remind the customer after 3 business days pending": MONDAY + timedelta(days=3),
        "Solve tickets pending for 7 business days": MONDAY + timedelta(days=7),
    }


def test_business_days_skip_the_weekend_and_holidays_on_the_tickets_calendar(team):
    calendar = CalendarFactory(
        time_zone="Europe/Berlin", always_open=False, office_hours=True, holiday_country="DE"
    )
    tier = TierFactory(name="Standard", rank=10, policy=PolicyFactory(calendar=calendar))
    thursday = datetime.fromisoformat("2026-04-02T15:00:00+02:00")  # Good Friday follows
    with time_machine.travel(thursday, tick=False):
        ticket = _set(_open(customer=CustomerFactory(tier=tier)), "pending")
    reminder = TimeRuleDue.objects.get(ticket=ticket, rule__name__startswith="Remind")
    # Fri 3 (Good Friday), Sat, Sun, Mon 6 (Easter Monday) skipped: Tue, Wed, Thu.
    assert reminder.due_at == datetime.fromisoformat("2026-04-09T15:00:00+02:00")


def test_business_days_arithmetic_across_dst():
    spec = CalendarSpec(
        time_zone="Europe/Berlin", intervals=tuple(Interval(d, 540, 1020) for d in range(5))
    )
    friday = datetime.fromisoformat("2026-03-27T16:30:00+01:00")  # DST starts on Sunday 29th
    assert add_business_days(friday, 1, spec) == datetime.fromisoformat("2026-03-30T16:30:00+02:00")


def test_leaving_pending_voids_the_rows_and_a_second_pending_period_restarts_them(team):
    with time_machine.travel(MONDAY, tick=False):
        ticket = _set(_open(), "pending")
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        ticket_services.customer_message_add(ticket=ticket, body="Here is the photo.")
    assert not TimeRuleDue.objects.filter(ticket=ticket, rule__timer="pending").exists()
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        _set(ticket, "pending")
    solve = TimeRuleDue.objects.get(ticket=ticket, rule__name__startswith="Solve")
    assert solve.due_at == MONDAY + timedelta(days=9)


def test_sweep_reminds_then_solves_then_closes_each_once(team):
    with time_machine.travel(MONDAY, tick=False):
        ticket = _set(_open(), "pending")
    with time_machine.travel(MONDAY + timedelta(days=3, minutes=1), tick=False):
        assert time_rules_sweep() == 1
        assert time_rules_sweep() == 0
    [reminder] = Message.objects.filter(ticket=ticket, direction="outbound", is_public=True)
    assert "still waiting for your answer on 'Refund'" in reminder.body_text
    with time_machine.travel(MONDAY + timedelta(days=7, minutes=1), tick=False):
        assert time_rules_sweep() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"
    with time_machine.travel(MONDAY + timedelta(days=11, minutes=2), tick=False):
        assert time_rules_sweep() == 1
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == "closed"
    fired = TicketEvent.objects.filter(ticket=ticket, kind="automation.fired")
    assert [e.after["name"].split()[0] for e in fired.order_by("id")] == [
        "Remind",
        "Solve",
        "Close",
    ]
    with time_machine.travel(MONDAY + timedelta(days=30), tick=False):
        assert time_rules_sweep() == 0


def test_nothing_is_due_early(team):
    with time_machine.travel(MONDAY, tick=False):
        ticket = _set(_open(), "pending")
    with time_machine.travel(MONDAY + timedelta(days=2, hours=23), tick=False):
        assert time_rules_sweep() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == "pending"


def test_a_rule_acts_at_most_once_per_ticket_even_when_its_timer_restarts(team):
    rule = TimeRuleFactory(
        timer="updated", after=1, unit="hours", actions=[{"type": "add_tags", "value": ["stale"]}]
    )
    with time_machine.travel(MONDAY, tick=False):
        ticket = _open()
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        assert time_rules_sweep() == 1
    with time_machine.travel(MONDAY + timedelta(hours=3), tick=False):
        ticket_services.ticket_update(ticket=ticket, actor=None, priority=3)
    with time_machine.travel(MONDAY + timedelta(hours=5), tick=False):
        assert time_rules_sweep() == 0
    assert TimeRuleDue.objects.get(ticket=ticket, rule=rule).outcome == "applied"


def test_customer_message_timer_and_conditions_checked_when_due(team):
    rule = TimeRuleFactory(
        timer="customer_message",
        after=2,
        unit="hours",
        conditions={"all": [{"field": "priority", "operator": "is", "value": "high"}]},
        actions=[{"type": "add_tags", "value": ["waiting-on-us"]}],
    )
    with time_machine.travel(MONDAY, tick=False):
        normal, high = _open(), _open(priority=3)
    with time_machine.travel(MONDAY + timedelta(hours=3), tick=False):
        assert time_rules_sweep() == 2
    assert list(Ticket.objects.get(pk=high.pk).tags.values_list("name", flat=True)) == [
        "waiting-on-us"
    ]
    assert TimeRuleDue.objects.get(ticket=normal, rule=rule).outcome == "conditions not met"


def test_the_sweep_reads_due_rows_not_tickets(team, django_assert_max_num_queries):
    with time_machine.travel(MONDAY, tick=False):
        Ticket.objects.bulk_create(
            Ticket(subject=f"T{i}", requester=CustomerFactory(), status="open") for i in range(50)
        )
    with django_assert_max_num_queries(3), time_machine.travel(MONDAY + timedelta(days=9)):
        assert time_rules_sweep() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_apply_each_due_row_exactly_once():
    assert connection.vendor == "postgresql"
    rule = TimeRuleFactory(
        timer="solved", after=1, unit="minutes", actions=[{"type": "add_tags", "value": ["done"]}]
    )
    TimeRule.objects.exclude(pk=rule.pk).update(active=False)
    past = timezone.now() - timedelta(hours=1)
    customer = CustomerFactory()
    tickets = Ticket.objects.bulk_create(
        Ticket(subject=f"T{i}", requester=customer, status="solved") for i in range(300)
    )
    TimeRuleDue.objects.bulk_create(
        TimeRuleDue(ticket=t, rule=rule, due_at=past + timedelta(seconds=i))
        for i, t in enumerate(tickets)
    )
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def sweeper():
        from django.db import connection as own

        try:
            barrier.wait()
            counts.append(time_rules_sweep(batch_size=20))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(counts) == 300
    fired = TicketEvent.objects.filter(kind="automation.fired", after__rule=f"time:{rule.pk}")
    assert fired.count() == 300
    assert len(set(fired.values_list("ticket_id", flat=True))) == 300
    assert not TimeRuleDue.objects.filter(applied_at__isnull=True).exists()
