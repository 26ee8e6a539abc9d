"""The per-metric clock table (slas.clocks.METRIC_RULES) decides which clocks a ticket gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from slas.clocks import METRIC_RULES
from slas.models import Metric
from slas.services import ticket_sla_reapply
from tests.factories import (
    CustomerFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TierFactory,
    UserFactory,
)
from tickets import services as ticket_services
from tickets.models import ChannelKind, Priority, TicketKind

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
EVERY_METRIC = {(metric, Priority.NORMAL): 60 * (n + 1) for n, metric in enumerate(Metric.values)}


def test_every_metric_has_exactly_one_clock_rule():
    """A Metric without an entry would never start, pause or stop: add it to METRIC_RULES."""
    assert sorted(METRIC_RULES) == sorted(Metric.values)


def test_proactive_ticket_is_not_measured_for_a_first_response():
    policy = PolicyFactory(calendar_targets=EVERY_METRIC)
    customer = CustomerFactory(organization=OrganizationFactory(tier=TierFactory(policy=policy)))
    agent = UserFactory(teams=[TeamFactory(is_default=True)])
    ticket = ticket_services.ticket_create(
        requester=customer,
        subject="Your new router",
        body="Shall we set it up together?",
        kind=TicketKind.PROACTIVE,
        actor=agent,
        channel=ChannelKind.PHONE,
    )
    assert sorted(ticket.sla_clocks.values_list("metric", flat=True)) == [
        Metric.PERIODIC_UPDATE,
        Metric.RESOLUTION,
    ]


def test_answered_ticket_measured_late_owes_no_first_response(
    django_capture_on_commit_callbacks,
):
    """A ticket from before its organization had a tier, already answered, gets the clocks
    a new ticket starts with, minus the first response it no longer owes."""
    from customers.organizations import organization_update

    organization = OrganizationFactory()
    agent = UserFactory(teams=[TeamFactory(is_default=True)])
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = ticket_services.ticket_create(
            requester=CustomerFactory(organization=organization), subject="Help", body="x"
        )
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="Looking into it")
        traveller.shift(timedelta(minutes=5))
        policy = PolicyFactory(calendar_targets=EVERY_METRIC)
        with django_capture_on_commit_callbacks(execute=True):
            organization_update(organization=organization, tier=TierFactory(policy=policy))
        assert ticket_sla_reapply(ticket=ticket) == 2  # the same again: nothing new starts
    assert sorted(ticket.sla_clocks.values_list("metric", flat=True)) == [
        Metric.PERIODIC_UPDATE,
        Metric.RESOLUTION,
    ]
