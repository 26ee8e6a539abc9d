"""Triggers: an event, conditions, actions; ordered, audited, loop-safe."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.core import mail

from automations.services import triggers_matching
from core import events
from outbox.models import OutboxMessage
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TierFactory,
    TriggerFactory,
    UserFactory,
)
from tickets import services as ticket_services
from tickets.models import Message, Priority, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _cond(field, operator, value):
    return {"field": field, "operator": operator, "value": value}


def _open(subject="Printer jammed", body="It makes a noise.", customer=None, **kwargs):
    return ticket_services.ticket_create(
        requester=customer or CustomerFactory(), subject=subject, body=body, **kwargs
    )


def _fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _fired(ticket) -> list[dict]:
    return [e.after for e in TicketEvent.objects.filter(ticket=ticket, kind="automation.fired")]


def test_enterprise_outage_goes_urgent_to_tier_two(team):
    tier2 = TeamFactory(name="Tier 2")
    enterprise = TierFactory(name="Enterprise", rank=40, policy=PolicyFactory())
    acme = OrganizationFactory(name="Acme", tier=enterprise)
    rule = TriggerFactory(
        name="Enterprise outage",
        conditions={
            "all": [_cond("tier", "is", "Enterprise")],
            "any": [_cond("subject", "contains", "outage"), _cond("body", "contains", "outage")],
        },
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {"type": "set_team", "value": tier2.pk},
        ],
    )
    ticket = _open(
        subject="Site down?",
        body="We see a MAJOR OUTAGE, since 9:00.",
        customer=CustomerFactory(organization=acme),
    )
    ticket = _fresh(ticket)
    assert (ticket.priority, ticket.team) == (Priority.URGENT, tier2)
    [fired] = _fired(ticket)
    assert fired["rule"] == f"trigger:{rule.pk}"
    assert fired["name"] == "Enterprise outage"
    assert fired["actions"] == ["priority -> urgent", f"team -> {tier2.pk}"]


def test_same_words_from_a_standard_customer_fire_nothing(team):
    TriggerFactory(conditions={"all": [_cond("tier", "is", "Enterprise")]})
    ticket = _open(body="outage")
    assert _fresh(ticket).priority == Priority.NORMAL
    assert _fired(ticket) == []


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("Total outage in Berlin", True),
        ("OUTAGE!!!", True),
        ("(outage)", True),
        ("planned-outage tonight", True),
        ("outages happen", False),
        ("timeoutage", False),
        ("", False),
    ],
)
def test_subject_contains_is_whole_word_and_case_insensitive(team, text, hit):
    TriggerFactory(conditions={"all": [_cond("subject", "contains", "outage")]})
    ticket = _open(subject=text or "(no subject)")
    assert (_fresh(ticket).priority == Priority.HIGH) is hit


def test_phrase_matches_across_line_breaks_in_an_email_body(team):
    TriggerFactory(conditions={"all": [_cond("body", "contains", "is down")]})
    ticket = _open(body="Hi,\n\nour shop is\r\ndown since this morning.\n-- \nBob")
    assert _fresh(ticket).priority == Priority.HIGH


@pytest.mark.parametrize(
    ("condition", "hit"),
    [
        (_cond("channel", "is", "email"), True),
        (_cond("channel", "in", ["chat", "phone"]), False),
        (_cond("status", "is", "new"), True),
        (_cond("status", "is_not", "new"), False),
        (_cond("type", "is", "incident"), True),
        (_cond("type", "not_in", ["incident"]), False),
        (_cond("priority", "greater_than", "normal"), True),
        (_cond("priority", "less_than", "high"), False),
        (_cond("priority", "is", "high"), True),
        (_cond("tags", "includes", ["VIP", "billing"]), True),
        (_cond("tags", "excludes", ["vip"]), False),
        (_cond("subject", "not_contains", "refund"), True),
        (_cond("subject", "contains_any", ["refund", "invoice"]), True),
    ],
)
def test_each_condition_decides_whether_the_rule_fires(team, condition, hit):
    TriggerFactory(
        conditions={"all": [condition]}, actions=[{"type": "add_tags", "value": ["matched"]}]
    )
    ticket = _open(
        subject="Invoice 2024-113",
        channel="email",
        type="incident",
        priority=Priority.HIGH,
        tags=["vip"],
    )
    assert ("matched" in _fresh(ticket).tags.values_list("name", flat=True)) is hit


def test_organization_and_team_conditions_take_ids(team):
    acme = OrganizationFactory()
    TriggerFactory(
        conditions={"all": [_cond("organization", "is", acme.pk), _cond("team", "in", [team.pk])]}
    )
    hit = _open(customer=CustomerFactory(organization=acme))
    miss = _open(customer=CustomerFactory(organization=OrganizationFactory()))
    assert _fresh(hit).priority == Priority.HIGH
    assert _fresh(miss).priority == Priority.NORMAL


def test_business_hours_condition_uses_the_tickets_sla_calendar(team):
    calendar = CalendarFactory(time_zone="Europe/Berlin", always_open=False, office_hours=True)
    tier = TierFactory(name="Standard", rank=10, policy=PolicyFactory(calendar=calendar))
    customer = CustomerFactory(tier=tier)
    TriggerFactory(
        conditions={"all": [_cond("business_hours", "is", "outside")]},
        actions=[{"type": "add_tags", "value": ["after-hours"]}],
    )
    with time_machine.travel(datetime.fromisoformat("2026-03-04T10:00:00+01:00"), tick=False):
        inside = _open(customer=customer)
    with time_machine.travel(datetime.fromisoformat("2026-03-07T10:00:00+01:00"), tick=False):
        saturday = _open(customer=customer)
    assert list(_fresh(inside).tags.values_list("name", flat=True)) == []
    assert list(_fresh(saturday).tags.values_list("name", flat=True)) == ["after-hours"]


def test_all_and_any_groups(team):
    TriggerFactory(
        conditions={
            "all": [_cond("channel", "is", "email")],
            "any": [_cond("subject", "contains", "urgent"), _cond("tags", "includes", ["vip"])],
        }
    )
    neither = _open(subject="hello", channel="email")
    tagged = _open(subject="hello", channel="email", tags=["vip"])
    wrong_channel = _open(subject="urgent", channel="chat")
    assert [_fresh(t).priority for t in (neither, tagged, wrong_channel)] == [
        Priority.NORMAL,
        Priority.HIGH,
        Priority.NORMAL,
    ]


def test_rules_run_in_position_order_and_each_sees_the_previous_change(team):
    TriggerFactory(
        position=2,
        conditions={"all": [_cond("priority", "is", "high")]},
        actions=[{"type": "add_tags", "value": ["escalated"]}],
    )
    TriggerFactory(position=1, actions=[{"type": "set_priority", "value": "high"}])
    ticket = _open()
    assert list(_fresh(ticket).tags.values_list("name", flat=True)) == ["escalated"]
    assert [f["actions"] for f in _fired(ticket)] == [["priority -> high"], ["tags + escalated"]]


def test_status_type_and_tag_actions(team):
    TriggerFactory(
        actions=[
            {"type": "set_status", "value": "pending"},
            {"type": "set_type", "value": "problem"},
            {"type": "add_tags", "value": ["a", "b"]},
            {"type": "remove_tags", "value": ["a"]},
        ]
    )
    ticket = _fresh(_open())
    assert (ticket.status, ticket.type) == ("pending", "problem")
    assert list(ticket.tags.values_list("name", flat=True)) == ["b"]


def test_assign_action_assigns_the_agent(team):
    bob = UserFactory(teams=[team])
    TriggerFactory(actions=[{"type": "assign", "value": bob.pk}])
    assert _fresh(_open()).assignee == bob


def test_internal_note_and_template_reply(team):
    TriggerFactory(
        actions=[
            {"type": "add_note", "body": "Check the contract of {{ customer.name }}."},
            {"type": "reply", "body": "We got '{{ ticket.subject }}' and are on it."},
        ]
    )
    ticket = _open(subject="Broken <b>login</b>", customer=CustomerFactory(name="Ann Lee"))
    note, reply = Message.objects.filter(ticket=ticket, direction="outbound").order_by("id")
    assert (note.is_public, note.body_text) == (False, "Check the contract of Ann Lee.")
    assert reply.is_public
    assert "We got 'Broken &lt;b&gt;login&lt;/b&gt;'" in reply.body_text


def test_notify_action_emails_the_team_after_commit(team, django_capture_on_commit_callbacks):
    UserFactory(teams=[team], email="a@helpdesk.test")
    UserFactory(teams=[team], email="b@helpdesk.test")
    TriggerFactory(actions=[{"type": "notify", "team": team.pk}])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open()
        assert mail.outbox == []  # nothing leaves before the firing commits
    [email] = mail.outbox
    assert sorted(email.to) == ["a@helpdesk.test", "b@helpdesk.test"]
    assert f"#{ticket.pk}" in email.subject


def test_webhook_action_writes_a_delivery_row(team, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    TriggerFactory(actions=[{"type": "webhook", "url": "https://hooks.example.com/helpdesk"}])
    ticket = _open()
    [delivery] = OutboxMessage.objects.filter(payload__event="automation.fired")
    assert delivery.recipient == "https://hooks.example.com/helpdesk"
    assert delivery.payload["body"]["ticket"]["id"] == ticket.pk


def test_message_trigger_fires_on_a_customer_reply(team):
    TriggerFactory(
        event=events.MESSAGE_CREATED,
        conditions={"all": [_cond("body", "contains", "cancel")]},
        actions=[{"type": "add_tags", "value": ["churn"]}],
    )
    ticket = _open(body="hello")
    ticket_services.customer_message_add(ticket=ticket, body="I want to CANCEL my plan.")
    assert list(_fresh(ticket).tags.values_list("name", flat=True)) == ["churn"]


def test_a_rules_own_change_does_not_fire_it_again(team):
    rule = TriggerFactory(
        event=events.TICKET_UPDATED, actions=[{"type": "add_tags", "value": ["touched"]}]
    )
    ticket = _open()
    ticket_services.ticket_update(ticket=ticket, actor=None, priority=Priority.HIGH)
    fired = _fired(ticket)
    assert [f["rule"] for f in fired] == [f"trigger:{rule.pk}"]


def test_a_loop_between_two_rules_stops_at_the_depth_limit_with_a_note(team, settings):
    settings.AUTOMATION_MAX_DEPTH = 4
    TriggerFactory(
        name="up",
        event=events.TICKET_UPDATED,
        conditions={"all": [_cond("priority", "is", "low")]},
        actions=[{"type": "set_priority", "value": "high"}],
    )
    TriggerFactory(
        name="down",
        event=events.TICKET_UPDATED,
        conditions={"all": [_cond("priority", "is", "high")]},
        actions=[{"type": "set_priority", "value": "low"}],
    )
    ticket = _open()
    ticket_services.ticket_update(ticket=ticket, actor=None, priority=Priority.LOW)
    assert [f["name"] for f in _fired(ticket)] == ["up", "down", "up", "down"]
    [note] = TicketEvent.objects.filter(ticket=ticket, kind="automation.loop_stopped")
    assert note.after["depth"] == 4
    assert _fresh(ticket).priority == Priority.LOW


def test_a_failing_action_is_audited_and_the_change_still_happens(team):
    outsider = UserFactory(teams=[TeamFactory()])  # not in the ticket's team
    TriggerFactory(actions=[{"type": "assign", "value": outsider.pk}])
    ticket = _open()
    assert Ticket.objects.filter(pk=ticket.pk, assignee=None).exists()
    [failed] = TicketEvent.objects.filter(ticket=ticket, kind="automation.failed")
    assert "is not in team" in failed.after["error"]


def test_inactive_rule_does_not_fire(team):
    TriggerFactory(active=False)
    assert _fresh(_open()).priority == Priority.NORMAL


def test_dry_run_lists_the_rules_that_would_fire_now(team):
    updated = events.TICKET_UPDATED
    hit = TriggerFactory(event=updated, conditions={"all": [_cond("status", "is", "new")]})
    TriggerFactory(event=updated, conditions={"all": [_cond("status", "is", "open")]})
    ticket = _open()
    assert triggers_matching(ticket=ticket, event=events.TICKET_UPDATED) == [hit]
    assert _fired(ticket) == []


def test_webhooks_hear_the_creation_before_the_change_a_trigger_made(team, settings):
    from webhooks.subscriptions import subscription_create

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    subscription_create(
        name="CRM", url="https://127.0.0.1/hooks", events=["ticket.created", "ticket.updated"]
    )
    TriggerFactory(actions=[{"type": "set_priority", "value": "urgent"}])
    ticket = _open()
    deliveries = OutboxMessage.objects.filter(source__startswith="subscription:").order_by("id")
    assert [d.payload["event"] for d in deliveries] == ["ticket.created", "ticket.updated"]
    assert deliveries[1].payload["body"]["changes"]["priority"] == ["normal", "urgent"]
    assert _fresh(ticket).priority == Priority.URGENT


def test_schedule_followup_action_schedules_the_rule_once_per_ticket(team):
    from success.models import FollowUp
    from tests.factories import FollowUpRuleFactory

    call = FollowUpRuleFactory(trigger="delivery", action="email", delay_minutes=120)
    TriggerFactory(
        event=events.TICKET_UPDATED,
        conditions={"all": [_cond("status", "is", "solved")]},
        actions=[{"type": "schedule_followup", "rule": call.pk}],
    )
    ticket = _open()
    solved = ticket_services.ticket_update(ticket=ticket, actor=None, status="solved")
    ticket_services.ticket_update(ticket=solved, actor=None, priority=Priority.HIGH)
    [followup] = FollowUp.objects.filter(rule=call)
    assert followup.ticket_id == ticket.pk
    assert followup.customer_id == ticket.requester_id
    assert followup.state == "scheduled"


def test_assignee_condition_and_notify_an_agent(team, django_capture_on_commit_callbacks):
    bob = UserFactory(teams=[team], email="bob@helpdesk.test")
    TriggerFactory(
        event=events.TICKET_UPDATED,
        conditions={"all": [_cond("assignee", "is", bob.pk)]},
        actions=[{"type": "notify", "agent": bob.pk}],
    )
    ticket = _open()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=ticket, actor=None, priority=Priority.HIGH)
    assert mail.outbox == []  # not bob's yet
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_update(ticket=_fresh(ticket), actor=None, assignee=bob)
    [email] = mail.outbox
    assert email.to == ["bob@helpdesk.test"]


def test_customer_language_condition_routes_russian_speakers(team):
    russian_desk = TeamFactory(name="Russian desk")
    TriggerFactory(
        conditions={"all": [_cond("language", "is", "ru")]},
        actions=[{"type": "set_team", "value": russian_desk.pk}],
    )
    russian = _open(customer=CustomerFactory(locale="ru"))
    unknown = _open(customer=CustomerFactory())
    assert _fresh(russian).team == russian_desk
    assert _fresh(unknown).team != russian_desk


def test_language_condition_refuses_a_language_we_do_not_answer_in():
    from django.core.exceptions import ValidationError

    from automations.conditions import conditions_validate

    with pytest.raises(ValidationError, match="not one of"):
        conditions_validate({"all": [_cond("language", "is", "de")]})
