"""SLA clocks driven by ticket events (slas.handlers, slas.clocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from slas.models import Metric, SlaClock
from slas.services import ticket_sla_reapply
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
from tickets.models import ChannelKind, Message, Priority, TicketEvent, TicketKind
from tickets.status import Status

pytestmark = pytest.mark.django_db

NORMAL, HIGH = Priority.NORMAL, Priority.HIGH
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TARGETS = {
    (Metric.FIRST_RESPONSE, NORMAL): 60,
    (Metric.NEXT_RESPONSE, NORMAL): 120,
    (Metric.RESOLUTION, NORMAL): 480,
    (Metric.FIRST_RESPONSE, HIGH): 30,
    (Metric.RESOLUTION, HIGH): 240,
}


@pytest.fixture
def policy():
    return PolicyFactory(calendar=CalendarFactory(), calendar_targets=TARGETS)


@pytest.fixture
def customer(policy):
    tier = TierFactory(name="Standard", policy=policy, channels=["email", "chat", "web"])
    return CustomerFactory(organization=OrganizationFactory(tier=tier))


@pytest.fixture
def agent():
    team = TeamFactory(name="Support", is_default=True)
    return UserFactory(teams=[team])


def create(customer, **kwargs):
    kwargs.setdefault("channel", ChannelKind.EMAIL)
    return ticket_services.ticket_create(requester=customer, subject="Help", body="x", **kwargs)


def clock(ticket, metric) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, metric=metric)


def test_new_ticket_starts_first_response_and_resolution_and_sets_next_due(customer):
    with time_machine.travel(MONDAY_10, tick=False):
        ticket = create(customer)
    first, resolution = clock(ticket, Metric.FIRST_RESPONSE), clock(ticket, Metric.RESOLUTION)
    assert first.due_at == MONDAY_10 + timedelta(minutes=60)
    assert first.warn_at == MONDAY_10 + timedelta(minutes=45)
    assert resolution.due_at == MONDAY_10 + timedelta(minutes=480)
    ticket.refresh_from_db()
    assert ticket.next_due_at == first.due_at


def test_proactive_ticket_has_no_first_response_clock(customer, agent):
    ticket = create(customer, kind=TicketKind.PROACTIVE, actor=agent)
    assert set(ticket.sla_clocks.values_list("metric", flat=True)) == {Metric.RESOLUTION}


def test_business_hours_target_counts_only_working_time(customer, policy):
    office = CalendarFactory(always_open=False, time_zone="Europe/Berlin", office_hours=True)
    policy.calendar = office
    policy.save()
    policy.targets.update(business_hours=True)
    friday_1630_berlin = datetime(2026, 3, 6, 15, 30, tzinfo=UTC)
    with time_machine.travel(friday_1630_berlin, tick=False):
        ticket = create(customer)
    # 60 business minutes from Friday 16:30 Berlin: Monday 09:30 Berlin = 08:30 UTC.
    due = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    assert clock(ticket, Metric.FIRST_RESPONSE).due_at == due


def test_public_agent_reply_fulfils_first_response_but_a_note_does_not(customer, agent):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(customer)
        traveller.shift(timedelta(minutes=10))
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="note", public=False)
        assert clock(ticket, Metric.FIRST_RESPONSE).fulfilled_at is None
        traveller.shift(timedelta(minutes=10))
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="Hello")
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.fulfilled_at == MONDAY_10 + timedelta(minutes=20)
    ticket.refresh_from_db()
    assert ticket.next_due_at == clock(ticket, Metric.RESOLUTION).due_at


def test_customer_message_after_agent_reply_starts_next_response(customer, agent):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(customer)
        ticket_services.customer_message_add(ticket=ticket, body="more info")
        assert not ticket.sla_clocks.filter(metric=Metric.NEXT_RESPONSE).exists()
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="Hello")
        traveller.shift(timedelta(minutes=30))
        ticket_services.customer_message_add(ticket=ticket, body="still broken")
        nxt = clock(ticket, Metric.NEXT_RESPONSE)
        assert nxt.due_at == MONDAY_10 + timedelta(minutes=150)
        ticket.refresh_from_db()
        assert ticket.next_due_at == nxt.due_at
        traveller.shift(timedelta(minutes=5))
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="On it")
    assert clock(ticket, Metric.NEXT_RESPONSE).fulfilled_at == MONDAY_10 + timedelta(minutes=35)


def test_pending_pauses_resolution_and_open_resumes_with_consumed_time(customer, agent):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(customer)
        traveller.shift(timedelta(minutes=100))
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="?", status=Status.PENDING)
        paused = clock(ticket, Metric.RESOLUTION)
        assert paused.paused_since == MONDAY_10 + timedelta(minutes=100)
        assert paused.consumed_minutes == pytest.approx(100)
        ticket.refresh_from_db()
        assert ticket.next_due_at is None  # nothing running
        traveller.shift(timedelta(hours=5))
        ticket_services.customer_message_add(ticket=ticket, body="here you go")
    resumed = clock(ticket, Metric.RESOLUTION)
    assert resumed.paused_since is None
    resume_at = MONDAY_10 + timedelta(minutes=100, hours=5)
    assert resumed.due_at == resume_at + timedelta(minutes=380)


@pytest.mark.parametrize(("pause_on_hold", "paused"), [(True, True), (False, False)])
def test_on_hold_pauses_resolution_only_when_the_policy_says_so(
    customer, agent, policy, pause_on_hold, paused
):
    policy.pause_on_hold = pause_on_hold
    policy.save()
    ticket = create(customer)
    ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.ON_HOLD)
    assert (clock(ticket, Metric.RESOLUTION).paused_since is not None) is paused


def test_pending_to_on_hold_resumes_resolution_when_on_hold_does_not_pause(customer, agent, policy):
    policy.pause_on_hold = False
    policy.save()
    ticket = create(customer)
    ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.PENDING)
    assert clock(ticket, Metric.RESOLUTION).paused_since is not None
    ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.ON_HOLD)
    assert clock(ticket, Metric.RESOLUTION).paused_since is None


def test_solved_fulfils_resolution_and_reopen_resumes_it(customer, agent):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(customer)
        traveller.shift(timedelta(minutes=60))
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="done", status="solved")
        assert clock(ticket, Metric.RESOLUTION).fulfilled_at == MONDAY_10 + timedelta(minutes=60)
        traveller.shift(timedelta(days=1))
        ticket_services.customer_message_add(ticket=ticket, body="it broke again")
    reopened = clock(ticket, Metric.RESOLUTION)
    assert reopened.fulfilled_at is None
    assert reopened.due_at == MONDAY_10 + timedelta(days=1, minutes=60 + 420)
    assert TicketEvent.objects.filter(ticket=ticket, kind="reopened").exists()


def test_priority_change_recomputes_due_from_consumed_time(customer, agent):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(customer)
        traveller.shift(timedelta(minutes=20))
        ticket_services.ticket_update(ticket=ticket, actor=agent, priority=HIGH)
    first = clock(ticket, Metric.FIRST_RESPONSE)
    assert first.target_minutes == 30
    assert first.consumed_minutes == pytest.approx(20)
    assert first.due_at == MONDAY_10 + timedelta(minutes=30)
    ticket.refresh_from_db()
    assert ticket.next_due_at == first.due_at


def test_priority_without_target_keeps_the_clock_and_its_target(customer, agent):
    ticket = create(customer)
    due = clock(ticket, Metric.RESOLUTION).due_at
    ticket_services.ticket_update(ticket=ticket, actor=agent, priority=Priority.LOW)
    assert clock(ticket, Metric.RESOLUTION).due_at == due
    ticket.refresh_from_db()
    assert ticket.next_due_at is not None


def test_customer_override_beats_organization_override_beats_tier(customer, policy):
    org_policy = PolicyFactory(calendar_targets={(Metric.RESOLUTION, NORMAL): 100})
    own_policy = PolicyFactory(calendar_targets={(Metric.RESOLUTION, NORMAL): 50})
    customer.organization.sla_policy = org_policy
    customer.organization.save()
    assert clock(create(customer), Metric.RESOLUTION).policy == org_policy
    customer.sla_policy = own_policy
    customer.save()
    assert clock(create(customer), Metric.RESOLUTION).policy == own_policy


def test_customer_tier_beats_organization_tier(customer):
    fast = PolicyFactory(calendar_targets={(Metric.RESOLUTION, NORMAL): 15})
    customer.tier = TierFactory(name="VIP", policy=fast)
    customer.save()
    assert clock(create(customer), Metric.RESOLUTION).target_minutes == 15


def test_customer_without_tier_is_measured_by_the_default_policy():
    default = PolicyFactory(is_default=True, calendar_targets={(Metric.RESOLUTION, NORMAL): 999})
    ticket = create(CustomerFactory())
    assert clock(ticket, Metric.RESOLUTION).policy == default


def test_reapply_measures_a_running_ticket_with_the_tier_policy_now(customer):
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(customer)
        faster = PolicyFactory(calendar_targets={(Metric.RESOLUTION, NORMAL): 200})
        tier = customer.organization.tier
        tier.policy = faster
        tier.save()
        traveller.shift(timedelta(minutes=50))
        ticket_sla_reapply(ticket=ticket)
    resolution = clock(ticket, Metric.RESOLUTION)
    assert resolution.policy == faster
    assert resolution.due_at == MONDAY_10 + timedelta(minutes=200)
    assert not ticket.sla_clocks.filter(metric=Metric.FIRST_RESPONSE).exists()


# --- hybrid channel rule ----------------------------------------------------------------------


def test_ticket_on_a_channel_outside_the_tier_is_flagged_measured_and_answered_once(customer):
    ticket = create(customer, channel=ChannelKind.PHONE)
    ticket.refresh_from_db()
    assert ticket.outside_plan is True
    assert clock(ticket, Metric.RESOLUTION).target_minutes == 480
    replies = Message.objects.filter(ticket=ticket, direction="outbound")
    assert replies.count() == 1
    assert "Email, Live chat" in replies.get().body_text
    # the automatic reply is nobody's answer: first response still runs
    assert clock(ticket, Metric.FIRST_RESPONSE).fulfilled_at is None
    ticket_services.customer_message_add(ticket=ticket, body="hello?", channel=ChannelKind.PHONE)
    assert replies.count() == 1


def test_ticket_on_a_served_channel_is_not_flagged(customer):
    ticket = create(customer, channel=ChannelKind.CHAT)
    ticket.refresh_from_db()
    assert ticket.outside_plan is False
    assert not Message.objects.filter(ticket=ticket, direction="outbound").exists()


def test_organization_tier_change_re_measures_its_open_tickets(
    customer, django_capture_on_commit_callbacks
):
    from customers.organizations import organization_update

    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(customer)
        faster = PolicyFactory(calendar_targets={(Metric.RESOLUTION, NORMAL): 90})
        traveller.shift(timedelta(minutes=30))
        with django_capture_on_commit_callbacks(execute=True):
            organization_update(
                organization=customer.organization, tier=TierFactory(name="Gold", policy=faster)
            )
    resolution = clock(ticket, Metric.RESOLUTION)
    assert resolution.policy == faster
    assert resolution.due_at == MONDAY_10 + timedelta(minutes=90)
    assert TicketEvent.objects.filter(ticket=ticket, kind="sla.reapplied").exists()


def test_ticket_of_an_organization_getting_its_first_tier_starts_being_measured(
    django_capture_on_commit_callbacks,
):
    from customers.organizations import organization_update

    organization = OrganizationFactory()
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(CustomerFactory(organization=organization))
        assert not ticket.sla_clocks.exists()
        policy = PolicyFactory(calendar_targets={(Metric.RESOLUTION, NORMAL): 120})
        traveller.shift(timedelta(minutes=10))
        with django_capture_on_commit_callbacks(execute=True):
            organization_update(organization=organization, tier=TierFactory(policy=policy))
    assert clock(ticket, Metric.RESOLUTION).due_at == MONDAY_10 + timedelta(minutes=120)
    ticket.refresh_from_db()
    assert ticket.next_due_at == MONDAY_10 + timedelta(minutes=120)


def test_periodic_update_restarts_with_each_public_agent_reply(customer, agent, policy):
    from slas.models import SlaTarget

    SlaTarget.objects.create(
        policy=policy,
        metric=Metric.PERIODIC_UPDATE,
        priority=NORMAL,
        minutes=240,
        business_hours=False,
    )
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ticket = create(customer)
        assert clock(ticket, Metric.PERIODIC_UPDATE).due_at == MONDAY_10 + timedelta(hours=4)
        traveller.shift(timedelta(hours=1))
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="Looking into it")
    assert clock(ticket, Metric.PERIODIC_UPDATE).due_at == MONDAY_10 + timedelta(hours=5)


def test_an_inbound_auto_reply_is_flagged_but_never_answered(customer):
    from core import events
    from tests.factories import TicketFactory

    # A channel's ticket as ticket_create writes one: opened (unsaved), written, created.
    ticket = TicketFactory.build(requester=customer, channel=ChannelKind.PHONE, team=None)
    ticket.created_at = timezone.now()
    events.publish(events.TICKET_OPENING, ticket=ticket)
    ticket.save()
    events.publish(events.TICKET_CREATED, ticket=ticket, data={"auto_reply": True})
    ticket.refresh_from_db()
    assert ticket.outside_plan is True
    assert not Message.objects.filter(ticket=ticket, direction="outbound").exists()
