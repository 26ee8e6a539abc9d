"""The queue rows' running clocks (desk.selectors._running_clocks, SQL written once) are the
ones the ORM query it replaced finds: each ticket's running clock due first, every field as
loaded, paused and fulfilled clocks left out, a ticket without one absent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from desk.selectors import _running_clocks
from slas.models import SlaClock

pytestmark = pytest.mark.django_db


def _orm_running_clocks(tickets) -> dict[int, SlaClock]:
    clocks = SlaClock.objects.filter(
        ticket__in=[t.pk for t in tickets], fulfilled_at__isnull=True, paused_since__isnull=True
    ).order_by("ticket_id", "due_at", "id")
    first: dict[int, SlaClock] = {}
    for clock in clocks:
        first.setdefault(clock.ticket_id, clock)
    return first


def _fields(clock: SlaClock) -> dict:
    return {f.attname: getattr(clock, f.attname) for f in SlaClock._meta.concrete_fields}


def test_running_clocks_are_the_orm_querys(make_ticket, tier):
    tickets = [make_ticket(f"t{n}", priority=1 + n % 4) for n in range(6)]
    now = timezone.now()
    SlaClock.objects.filter(ticket=tickets[1]).update(paused_since=now)  # none running
    first = SlaClock.objects.filter(ticket=tickets[2]).order_by("due_at", "id").first()
    SlaClock.objects.filter(pk=first.pk).update(fulfilled_at=now)  # the next one counts
    later = SlaClock.objects.filter(ticket=tickets[3]).order_by("due_at", "id").last()
    SlaClock.objects.filter(pk=later.pk).update(due_at=now - timedelta(hours=1))  # overdue
    ours, orm = _running_clocks(tickets), _orm_running_clocks(tickets)
    assert set(ours) == set(orm) == {t.pk for t in tickets} - {tickets[1].pk}
    for ticket_id, clock in ours.items():
        assert _fields(clock) == _fields(orm[ticket_id])
        assert clock.policy.pk == clock.policy_id
        assert not clock._state.adding
    assert _running_clocks([]) == {}
