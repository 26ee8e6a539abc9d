"""The time-rule sweep's set-based path: a batch of status-changing rows costs a constant
number of statements, skips what no longer applies, and leaves exactly what the row-by-row
path leaves (audit trail, SLA clocks, webhooks, triggers, follow-ups, timers)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from automations import sweeps
from automations.models import TimeRule, TimeRuleDue
from automations.sweeps import time_rules_sweep
from outbox.models import OutboxMessage
from slas.models import Metric, SlaClock
from success.models import FollowUp
from success.services import ACTIVE_RULES
from tests.factories import (
    CustomerFactory,
    FollowUpRuleFactory,
    PolicyFactory,
    TierFactory,
    TimeRuleFactory,
    TriggerFactory,
)
from tickets import services as ticket_services
from tickets.models import Priority, Ticket, TicketEvent
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db

MONDAY = datetime.fromisoformat("2026-03-02T10:00:00+00:00")


def _only(rule: TimeRule) -> TimeRule:
    TimeRule.objects.exclude(pk=rule.pk).update(active=False)
    return rule


def _measured_customer():
    policy = PolicyFactory(calendar_targets={(Metric.RESOLUTION, Priority.NORMAL): 600})
    return CustomerFactory(tier=TierFactory(name="Measured", rank=7, policy=policy))


def _tickets(n: int, status: str, customer=None) -> list[Ticket]:
    """n tickets opened and moved to `status` through the services (clocks, due rows)."""
    customer = customer or _measured_customer()
    with time_machine.travel(MONDAY, tick=False):
        return [
            ticket_services.ticket_update(
                ticket=ticket_services.ticket_create(
                    requester=customer, subject=f"T{i}", body="Help"
                ),
                actor=None,
                status=status,
            )
            for i in range(n)
        ]


def _close_rule() -> TimeRule:
    return _only(TimeRule.objects.get(name__startswith="Close"))


def _solve_rule() -> TimeRule:
    return _only(TimeRuleFactory(name="Solve after 1 hour", timer="pending", after=1, unit="hours"))


SCENARIOS = {
    # the shipped rule: solved for 4 days -> closed
    "close": (_close_rule, "solved", timedelta(days=4, minutes=1), "closed"),
    # pending -> solved: SLA clocks fulfilled, pending rows voided, the close timer started
    "solve": (_solve_rule, "pending", timedelta(hours=1, minutes=1), "solved"),
}


def _sweep_statements(n: int, scenario: str) -> int:
    make_rule, status, later, _ = SCENARIOS[scenario]
    make_rule()
    _tickets(n, status)
    ACTIVE_RULES.get()  # a worker's steady state: the follow-up rules read once per process
    with time_machine.travel(MONDAY + later, tick=False), CaptureQueriesContext(connection) as q:
        assert time_rules_sweep() == n
    return len(q.captured_queries)


@pytest.mark.parametrize("scenario", ["close", "solve"])
def test_a_batch_costs_the_same_statements_whatever_its_size(team, scenario):
    small = _sweep_statements(3, scenario)
    large = _sweep_statements(40, scenario)
    assert small == large
    # Pinned. Close: 3 savepoints (+3 releases), the locking select, the claim, the tickets'
    # lock, their UPDATE, two audit INSERTs (the firings, the status changes), the clocks
    # a close stops (read, 2 prefetches), the SLA next-due read, the timers' DELETE. Solve
    # adds the clocks' UPDATE and the problems' check (the follow-up rules are cached).
    assert small == {"close": 17, "solve": 19}[scenario]
    _, _, _, target = SCENARIOS[scenario]
    assert not Ticket.objects.exclude(status=target).exists()
    assert TicketEvent.objects.filter(kind="automation.fired").count() == 43


def test_a_ticket_changed_since_it_came_due_is_skipped_and_the_rest_of_the_batch_applies(team):
    rule = _close_rule()
    tickets = _tickets(5, "solved")
    reopened, moved = tickets[1], tickets[3]
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        # The customer reopens one: its timer is voided by the ticket event.
        ticket_services.customer_message_add(ticket=reopened, body="Still broken.")
    # Another moved without the event reaching the timers (defence in depth: the row stays).
    Ticket.objects.filter(pk=moved.pk).update(status="open")
    with time_machine.travel(MONDAY + timedelta(days=4, minutes=1), tick=False):
        assert time_rules_sweep() == 4
    status = dict(Ticket.objects.values_list("id", "status"))
    assert status == {t.pk: "open" if t in (reopened, moved) else "closed" for t in tickets}
    assert TimeRuleDue.objects.get(ticket=moved, rule=rule).outcome == "ticket no longer solved"
    fired = TicketEvent.objects.filter(kind="automation.fired")
    assert set(fired.values_list("ticket_id", flat=True)) == {
        t.pk for t in tickets if t not in (reopened, moved)
    }


def _follow_through_setup():
    WebhookSubscription.objects.create(
        name="crm", url="https://crm.example.com/hook", events=["ticket.updated"], secret="s"
    )
    TriggerFactory(
        name="Tag solved",
        event="ticket.updated",
        conditions={"all": [{"field": "status", "operator": "is", "value": "solved"}], "any": []},
        actions=[{"type": "add_tags", "value": ["auto-solved"]}],
    )
    FollowUpRuleFactory(name="CSAT", trigger="ticket_solved", delay_minutes=30)


def _state(tickets: list[Ticket]) -> list[dict]:
    """What a ticket's people and integrations can see, comparable across two runs."""
    state = []
    for ticket in tickets:
        ticket = Ticket.objects.get(pk=ticket.pk)
        state.append(
            {
                "ticket": (ticket.status, ticket.version, ticket.solved_at, ticket.next_due_at),
                "tags": sorted(ticket.tags.values_list("name", flat=True)),
                "audit": [  # without ids that differ between the two runs
                    (e.kind, e.before, {k: v for k, v in e.after.items() if k != "message"})
                    for e in TicketEvent.objects.filter(ticket=ticket).order_by("id")
                ],
                "clocks": list(
                    SlaClock.objects.filter(ticket=ticket)
                    .order_by("metric")
                    .values_list("metric", "fulfilled_at", "paused_since", "due_at")
                ),
                "webhooks": [
                    (
                        d.payload["event"],
                        d.payload["body"]["changes"],
                        d.payload["body"]["ticket"]["status"],
                    )
                    for d in OutboxMessage.objects.filter(
                        payload__body__ticket__id=ticket.pk
                    ).order_by("id")
                ],
                "followups": list(
                    FollowUp.objects.filter(ticket=ticket).values_list("rule__name", "due_at")
                ),
                "timers": sorted(
                    TimeRuleDue.objects.filter(ticket=ticket).values_list(
                        "rule__name", "due_at", "applied_at", "outcome"
                    )
                ),
            }
        )
    return state


def _solve_and_look(n: int) -> list[dict]:
    tickets = _tickets(n, "pending")
    with time_machine.travel(MONDAY + timedelta(hours=1, minutes=1), tick=False):
        assert time_rules_sweep() == n
    return _state(tickets)


def test_subscribers_see_every_ticket_a_batch_changed_exactly_as_row_by_row(team, monkeypatch):
    _solve_rule()
    TimeRule.objects.filter(name__startswith="Close").update(active=True)
    _follow_through_setup()
    batched = _solve_and_look(6)
    monkeypatch.setattr(sweeps, "_set_based", lambda row: False)  # every row one by one
    row_by_row = _solve_and_look(6)
    assert batched == row_by_row
    for ticket in batched:
        assert ticket["ticket"][0] == "solved"
        assert ticket["tags"] == ["auto-solved"]  # the ticket.updated trigger fired
        assert [kind for kind, _, _ in ticket["audit"]][-4:] == [
            "automation.fired",  # the time rule
            "status_changed",
            "automation.fired",  # the trigger on ticket.updated
            "tags_changed",
        ]
        assert [hook[:2] for hook in ticket["webhooks"]][-2:] == [
            ("ticket.updated", {"status": ["pending", "solved"]}),
            ("ticket.updated", {"tags": [[], ["auto-solved"]]}),
        ]
        assert [(c[0], c[1] is not None) for c in ticket["clocks"]] == [("resolution", True)]
        assert [name for name, _ in ticket["followups"]] == ["CSAT"]
        # the pending rule applied once, the shipped close timer started on the solve
        assert [(name, outcome) for name, _, _, outcome in ticket["timers"]] == [
            ("Close tickets solved for 4 days", ""),
            ("Solve after 1 hour", "applied"),
        ]


def test_rows_the_batch_cannot_take_set_based_go_row_by_row_after_it_in_order(team):
    """One batch: a status row set-based; a ticket whose first row adds a tag (row by row),
    so its solve row follows it row by row; a refused transition, a failed firing."""
    solve = _solve_rule()
    customer = _measured_customer()
    [solved] = _tickets(1, "pending", customer)  # only the solve rule counts its timer
    tag = TimeRuleFactory(
        name="Tag waiting", timer="pending", after=30, unit="minutes",
        actions=[{"type": "add_tags", "value": ["waiting"]}],
    )  # fmt: skip
    [tagged_then_solved] = _tickets(1, "pending", customer)
    refused = TimeRuleFactory(  # new -> closed is not a transition: a failed firing
        name="Close new", timer="created", after=30, unit="minutes",
        actions=[{"type": "set_status", "value": "closed"}],
    )  # fmt: skip
    with time_machine.travel(MONDAY, tick=False):
        opened = ticket_services.ticket_create(requester=customer, subject="New", body="Hi")
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        assert time_rules_sweep() == 4
    outcomes = {(row.ticket_id, row.rule_id): row.outcome for row in TimeRuleDue.objects.all()}
    assert outcomes == {
        (solved.pk, solve.pk): "applied",
        (tagged_then_solved.pk, tag.pk): "applied",
        (tagged_then_solved.pk, solve.pk): "applied",
        (opened.pk, refused.pk): "failed",
    }
    fired = TicketEvent.objects.filter(kind="automation.fired").order_by("id")
    assert [(e.ticket_id, e.after["name"]) for e in fired] == [
        (solved.pk, "Solve after 1 hour"),  # the set-based part comes first
        (tagged_then_solved.pk, "Tag waiting"),
        (tagged_then_solved.pk, "Solve after 1 hour"),
    ]
    tickets = Ticket.objects.in_bulk([solved.pk, tagged_then_solved.pk, opened.pk])
    assert [tickets[t.pk].status for t in (solved, tagged_then_solved, opened)] == [
        "solved",
        "solved",
        "new",
    ]
    assert list(tickets[tagged_then_solved.pk].tags.values_list("name", flat=True)) == ["waiting"]
    assert TicketEvent.objects.filter(ticket=opened, kind="automation.failed").count() == 1
