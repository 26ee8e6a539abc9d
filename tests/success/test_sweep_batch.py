"""The follow-up sweep's batches (success.sweep_batch): a batch of due emails costs a fixed
number of statements whatever its size, queues the same outbox rows the row-by-row path does,
and one bad row or address still fails alone."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.tasks import sweep as outbox_sweep
from success import services
from success.models import FollowUp, FollowUpState
from success.tasks import followup_sweep
from tests.factories import CustomerFactory, FollowUpRuleFactory, TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _due(shop, customers, ref: str = "ORD") -> None:
    for index, customer in enumerate(customers):
        services.delivery_record(
            customer=customer,
            source=shop,
            external_ref=f"{ref}-{index}",
            delivered_at=timezone.now(),
            products=["grinder"],
        )


def _swept_statements(shop, count: int, settings) -> int:
    FollowUp.objects.all().delete()
    _due(shop, [CustomerFactory(name=f"C{count}-{i}") for i in range(count)], ref=f"B{count}")
    with CaptureQueriesContext(connection) as queries:
        assert followup_sweep() == count
    LAST[:] = queries.captured_queries
    return len(queries.captured_queries)


LAST: list = []


def test_a_batch_of_emails_costs_the_same_statements_for_5_and_40_rows(shop, settings):
    FollowUpRuleFactory(delay_minutes=0, quiet_if_open_ticket=True)
    small = _swept_statements(shop, 5, settings)
    large = _swept_statements(shop, 40, settings)
    assert small == large, "\n".join(q["sql"][:120] for q in LAST)
    assert large <= 16  # lock, identities, open tickets, mailboxes, outbox, threads, update...
    rows = OutboxMessage.objects.filter(purpose="followup")
    assert rows.count() == 45
    followups = FollowUp.objects.select_related("outbox_message", "customer")
    assert {f.state for f in followups} == {FollowUpState.SENDING}
    for followup in followups:  # each row carries its own rendered email and Message-ID
        row = followup.outbox_message
        assert row.provider_id == followup.message_id
        assert row.source == f"followup:{followup.pk}"
        assert followup.outcome == f"email to {row.recipient}"
        assert f"Hello {followup.customer.name}, your order" in row.payload["body"]


def test_batch_and_row_by_row_queue_the_same_email(customer, shop):
    rule = FollowUpRuleFactory(delay_minutes=0)
    _due(shop, [customer])
    followup_sweep()  # batched
    batched = FollowUp.objects.get()
    FollowUp.objects.all().delete()
    _due(shop, [customer], ref="SOLO")
    solo = FollowUp.objects.get(rule=rule)
    solo.refresh_from_db()
    services.followup_execute(solo)  # the row-by-row path the sweep falls back to
    one, other = batched.outbox_message, solo.outbox_message
    assert (one.recipient, one.transport, one.purpose, one.channel) == (
        other.recipient,
        other.transport,
        other.purpose,
        other.channel,
    )
    assert one.payload["subject"] == other.payload["subject"] == "Getting started with grinder"
    assert (batched.state, solo.state) == (FollowUpState.SENDING, FollowUpState.SENDING)
    assert batched.outcome == solo.outcome == "email to kim@example.com"


def test_a_template_that_reads_only_the_language_is_rendered_in_each_language(shop):
    FollowUpRuleFactory(delay_minutes=0, subject='{% translate "Thank you" %}', body="Welcome")
    russian, english = CustomerFactory(name="Ru", locale="ru"), CustomerFactory(name="En")
    _due(shop, [russian, english, CustomerFactory(name="Ru2", locale="ru")])
    assert followup_sweep() == 3
    subjects = {
        f.customer.name: (f.outbox_message.payload["subject"], f.outbox_message.payload["body"])
        for f in FollowUp.objects.select_related("customer", "outbox_message")
    }
    assert subjects == {
        "Ru": ("Спасибо", "Welcome"),
        "En": ("Thank you", "Welcome"),
        "Ru2": ("Спасибо", "Welcome"),
    }


def test_one_bad_address_fails_alone(shop):
    FollowUpRuleFactory(delay_minutes=0)
    good = [CustomerFactory(name="Ann"), CustomerFactory(name="Bo")]
    bad = CustomerFactory(name="Typo", email="not-an-address")
    _due(shop, [good[0], bad, good[1]])
    assert followup_sweep() == 3
    assert OutboxMessage.objects.count() == 3  # one batch queued all three
    outbox_sweep()
    states = dict(FollowUp.objects.values_list("customer__name", "state"))
    assert states == {"Ann": FollowUpState.SENT, "Bo": FollowUpState.SENT, "Typo": "failed"}
    assert "invalid address" in FollowUp.objects.get(customer=bad).error
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.identities.get().value for c in good)


def test_a_row_that_raises_fails_alone_and_the_batch_goes_row_by_row(shop, monkeypatch):
    FollowUpRuleFactory(delay_minutes=0)
    customers = [CustomerFactory(name=n) for n in ("Ann", "Broken", "Cy")]
    _due(shop, customers)
    render = services._render

    def broken_for_one(text, followup):
        if followup.customer.name == "Broken":
            raise RuntimeError("template blew up")
        return render(text, followup)

    monkeypatch.setattr(services, "_render", broken_for_one)
    assert followup_sweep() == 3
    states = dict(FollowUp.objects.values_list("customer__name", "state"))
    assert states["Ann"] == states["Cy"] == FollowUpState.SENDING
    broken = FollowUp.objects.get(customer__name="Broken")
    assert broken.state == FollowUpState.SCHEDULED  # retried later, with backoff
    assert broken.attempts == 1
    assert "template blew up" in broken.error
    assert broken.due_at > timezone.now()
    assert OutboxMessage.objects.count() == 2  # the failed batch's INSERT rolled back


def test_the_quiet_rule_holds_in_a_batch(shop):
    FollowUpRuleFactory(delay_minutes=0, quiet_if_open_ticket=True)
    busy, calm, own = (CustomerFactory(name=n) for n in ("Busy", "Calm", "Own"))
    TicketFactory(requester=busy, status="open")
    ticket = TicketFactory(requester=own, status="open")
    _due(shop, [busy, calm])
    services.followup_schedule_for_ticket(
        rule=FollowUpRuleFactory(
            delay_minutes=0, quiet_if_open_ticket=True, trigger="ticket_solved"
        ),
        ticket=ticket,
        subject_key="about-its-own-ticket",
    )
    followup_sweep()
    states = dict(FollowUp.objects.values_list("customer__name", "state"))
    # Busy has another open ticket; Own's only open ticket is the one it is about.
    assert states == {
        "Busy": FollowUpState.SKIPPED,
        "Calm": FollowUpState.SENDING,
        "Own": FollowUpState.SENDING,
    }
    assert "open ticket" in FollowUp.objects.get(customer=busy).outcome


def test_an_outreach_due_first_still_quiets_the_email_due_after_it(customer, shop):
    FollowUpRuleFactory(delay_minutes=0, action="outreach", subject="Call {{ customer.name }}")
    FollowUpRuleFactory(delay_minutes=1, quiet_if_open_ticket=True)
    _due(shop, [customer])
    FollowUp.objects.filter(rule__action="email").update(due_at=timezone.now())
    FollowUp.objects.filter(rule__action="outreach").update(
        due_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    assert followup_sweep() == 2
    states = dict(FollowUp.objects.values_list("rule__action", "state"))
    assert states == {"outreach": FollowUpState.SENT, "email": FollowUpState.SKIPPED}
    assert Ticket.objects.filter(requester=customer).count() == 1
