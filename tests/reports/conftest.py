"""A small constructed world whose report figures were worked out by hand (see each test).

Week of Monday 2026-11-02 to Sunday 2026-11-08, UTC; "now" is frozen at 2026-11-10 12:00 UTC.

tickets    customer (tier)       team     channel priority created        now
T1         c1 (Gold, own)        Support  email   high     11-02 10:00    solved 11-02 14:00
T2         c1 (Gold, own)        Support  chat    normal   11-03 09:00    open (pending 1 h)
T3         c2 (Basic, via org)   Billing  email   normal   11-03 13:00    open (reopened)
T4         c3 (no tier)          Billing  phone   low      11-05 08:00    closed, solved 11-05 09:00
T5         c3                    Support  email   normal   10-30 10:00    pending   (before window)
T6         c2                    Billing  email   normal   10-27 10:00    closed    (before window)
T7         c4 (Gold, own)        Support  email   normal   10-28 10:00    closed    (before window)

clocks     first response                           resolution
T1         met: 30 business / 30 calendar min       met: 120 business / 240 calendar min
T2         breached (fulfilled after due), level 1:  running
           60 business / 120 calendar min
T3         met: 10 / 10                             breached, still running, level 2
T4         met: 50 / 50                             -
T5         breached (before the window: excluded)    -
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from reports.models import AtRiskEpisode
from reports.services import at_risk_episodes_sync
from slas.models import Metric, SlaClock
from success.models import CustomerHealth, FollowUp, Survey
from tests.factories import (
    CustomerFactory,
    FollowUpRuleFactory,
    ManagerFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TicketFactory,
    TierFactory,
    UserFactory,
)
from tickets.models import Direction, Message, Priority, Ticket, TicketEvent

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
WEEK = {"since": "2026-11-02", "until": "2026-11-08", "tz": "UTC"}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    tickets: dict = field(default_factory=dict)
    customers: dict = field(default_factory=dict)
    tiers: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


def _ticket(requester, team, channel, priority, created, status, **stamps) -> Ticket:
    ticket = TicketFactory(
        requester=requester, team=team, channel=channel, priority=priority, status=status
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, **stamps)
    ticket.refresh_from_db()
    return ticket


def _clock(ticket, metric, policy, *, due, fulfilled=None, consumed=0, breached=None, level=0):
    return SlaClock.objects.create(
        ticket=ticket,
        metric=metric,
        policy=policy,
        target_minutes=60,
        started_at=ticket.created_at,
        segment_started_at=ticket.created_at,
        consumed_minutes=consumed,
        due_at=due,
        warn_at=due - timedelta(minutes=15),
        fulfilled_at=fulfilled,
        breached_at=breached,
        escalation_level=level,
    )


def _message(ticket, when, *, author=None, public=True, inbound=False) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
        author_customer=ticket.requester if inbound else None,
        author_user=author,
        is_public=public,
        channel=ticket.channel,
        body_text="...",
    )
    Message.objects.filter(pk=message.pk).update(created_at=when)
    return message


def _status(ticket, when, before, after) -> None:
    event = TicketEvent.objects.create(
        ticket=ticket, kind="status_changed", before={"status": before}, after={"status": after}
    )
    TicketEvent.objects.filter(pk=event.pk).update(created_at=when)


@pytest.fixture
def world(db) -> World:
    w = World()
    gold, basic = TierFactory(name="Gold", rank=30), TierFactory(name="Basic", rank=10)
    w.tiers = {"gold": gold, "basic": basic}
    support, billing = TeamFactory(name="Support"), TeamFactory(name="Billing")
    w.teams = {"support": support, "billing": billing}
    alice = UserFactory(username="alice", first_name="", teams=[support, billing])
    bob = UserFactory(username="bob", first_name="", teams=[support, billing])
    mona = ManagerFactory(username="mona", first_name="")
    w.users = {"alice": alice, "bob": bob, "mona": mona}
    org = OrganizationFactory(name="Basic Corp", tier=basic)
    c1 = CustomerFactory(name="Ann", tier=gold)
    c2 = CustomerFactory(name="Ben", organization=org)
    c3 = CustomerFactory(name="Cem")
    c4 = CustomerFactory(name="Dee", tier=gold)
    w.customers = {"c1": c1, "c2": c2, "c3": c3, "c4": c4}
    policy = PolicyFactory(name="Std")

    t1 = _ticket(c1, support, "email", Priority.HIGH, at(2, 10), "solved", solved_at=at(2, 14))
    t2 = _ticket(c1, support, "chat", Priority.NORMAL, at(3, 9), "open")
    t3 = _ticket(c2, billing, "email", Priority.NORMAL, at(3, 13), "open")
    t4 = _ticket(
        c3, billing, "phone", Priority.LOW, at(5, 8), "closed",
        solved_at=at(5, 9), closed_at=at(6, 9),
    )  # fmt: skip
    t5 = _ticket(c3, support, "email", Priority.NORMAL, at(30, 10, month=10), "pending")
    t6 = _ticket(c2, billing, "email", Priority.NORMAL, at(27, 10, month=10), "closed")
    t7 = _ticket(c4, support, "email", Priority.NORMAL, at(28, 10, month=10), "closed")
    Ticket.objects.filter(pk__in=[t1.pk, t4.pk]).update(assignee=alice)
    Ticket.objects.filter(pk__in=[t2.pk, t3.pk]).update(assignee=bob)
    w.tickets = {f"t{i}": t for i, t in enumerate([t1, t2, t3, t4, t5, t6, t7], start=1)}

    fr, res = Metric.FIRST_RESPONSE, Metric.RESOLUTION
    _clock(t1, fr, policy, due=at(2, 11), fulfilled=at(2, 10, 30), consumed=30)
    _clock(t1, res, policy, due=at(2, 18), fulfilled=at(2, 14), consumed=120)
    _clock(t2, fr, policy, due=at(3, 10), fulfilled=at(3, 11), consumed=60,
           breached=at(3, 10), level=1)  # fmt: skip
    _clock(t2, res, policy, due=datetime(2030, 1, 1, tzinfo=UTC), consumed=0)
    _clock(t3, fr, policy, due=at(3, 14), fulfilled=at(3, 13, 10), consumed=10)
    _clock(t3, res, policy, due=at(4, 13), breached=at(4, 13), level=2)
    _clock(t4, fr, policy, due=at(5, 9), fulfilled=at(5, 8, 50), consumed=50)
    _clock(t5, fr, policy, due=at(30, 11, month=10), breached=at(30, 11, month=10))

    # Conversation: public agent replies make the first responses and the one-touch figure.
    _message(t1, at(2, 10), inbound=True)
    _message(t1, at(2, 10, 30), author=alice)
    _message(t1, at(2, 10, 40), author=alice, public=False)  # an internal note
    _message(t2, at(3, 9), inbound=True)
    _message(t2, at(3, 11), author=bob)
    _message(t3, at(3, 13, 10), author=bob)
    _message(t4, at(5, 8, 50), author=alice)
    _message(t4, at(5, 8, 55), author=alice)
    # Status history: T2 pending 1 h, T4 pending 30 min, T3 solved then reopened.
    _status(t2, at(6, 10), "open", "pending")
    _status(t2, at(6, 11), "pending", "open")
    _status(t3, at(4, 9), "open", "solved")
    _status(t3, at(4, 10), "solved", "open")
    _status(t4, at(5, 8, 20), "open", "pending")
    _status(t4, at(5, 8, 50), "pending", "open")
    _status(t4, at(5, 9), "open", "solved")
    _status(t4, at(6, 9), "solved", "closed")

    # Surveys: S1 (T1) answered 5/2/10, S2 (T4) answered 2/6/3, S3 (T3) unanswered,
    # S4 (T5) sent before the window.
    def survey(ticket, sent, **answer):
        return Survey.objects.create(
            ticket=ticket, customer=ticket.requester, sent_at=sent,
            expires_at=sent + timedelta(days=30), **answer,
        )  # fmt: skip

    survey(t1, at(2, 15), csat=5, ces=2, nps=10, answered_at=at(2, 16))
    survey(t4, at(5, 10), csat=2, ces=6, nps=3, answered_at=at(5, 11))
    survey(t3, at(4, 9, 30))
    survey(t5, at(31, 9, month=10), csat=1, answered_at=at(31, 10, month=10))

    # Follow-ups due in the window: 2 surveys sent (1 answered), 1 outreach sent (the customer
    # wrote on its ticket, T2, which is open), 1 email failed, 1 email scheduled; 1 email sent
    # before the window.
    survey_rule = FollowUpRuleFactory(name="CSAT", trigger="ticket_solved", action="survey")
    outreach_rule = FollowUpRuleFactory(name="Call", trigger="customer_at_risk", action="outreach")
    email_rule = FollowUpRuleFactory(name="Welcome", trigger="delivery", action="email")

    def followup(rule, customer, key, due, state, **more):
        return FollowUp.objects.create(
            rule=rule, customer=customer, subject_key=key, due_at=due, state=state, **more
        )

    followup(survey_rule, c1, "ticket:1", at(2, 15), "sent", ticket=t1)
    followup(survey_rule, c2, "ticket:3", at(4, 9, 30), "sent", ticket=t3)
    followup(outreach_rule, c1, "at_risk:1", at(4, 8), "sent", result_ticket=t2)
    followup(email_rule, c2, "delivery:1", at(3, 8), "failed")
    followup(email_rule, c3, "delivery:2", at(7, 8), "scheduled")
    followup(email_rule, c3, "delivery:3", at(20, 8, month=10), "sent")

    # At risk: c2 recovered on 11-04 (an old episode); c3's episode (reopened) recovers when
    # the sweep runs on 11-06 12:00; c1 is flagged since 11-03 12:00 (breach + low CSAT).
    AtRiskEpisode.objects.create(
        customer=c2, flagged_at=at(20, 8, month=10), recovered_at=at(4, 10), causes=["low_csat"]
    )
    AtRiskEpisode.objects.create(customer=c3, flagged_at=at(1, 8), causes=["reopened"])
    CustomerHealth.objects.create(
        customer=c1,
        score=40,
        at_risk=True,
        at_risk_since=at(3, 12),
        reasons=[
            {"kind": "sla_breached", "source": "ticket:2"},
            {"kind": "low_csat", "source": "survey:9"},
            {"kind": "sla_breached", "source": "ticket:9"},
        ],
    )
    CustomerHealth.objects.create(customer=c3, score=90, at_risk=False)
    with time_machine.travel(at(6, 12), tick=False):
        at_risk_episodes_sync()
    return w


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW
