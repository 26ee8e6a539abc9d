"""The follow-up sweep: due rows are carried out once, at their time, with the quiet rule
checked when they run; their emails leave through the outbox (sent only once a transport
accepted them), which retries with backoff and then fails them with their error."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core import events
from outbox.models import OutboxMessage
from outbox.tasks import sweep as outbox_sweep
from success import services
from success.models import FollowUp, FollowUpState
from success.tasks import followup_sweep as _followup_sweep
from tests.factories import FollowUpRuleFactory, TeamFactory, TicketFactory
from tickets.models import Ticket, TicketKind

pytestmark = pytest.mark.django_db


def followup_sweep() -> int:
    """The follow-up sweep, then the outbox's (on_commit does not run in these tests)."""
    done = _followup_sweep()
    outbox_sweep()
    return done


def _deliver(customer, shop, ref="ORD-1", at=None):
    delivery, _ = services.delivery_record(
        customer=customer,
        source=shop,
        external_ref=ref,
        delivered_at=at or timezone.now(),
        products=["grinder"],
    )
    return delivery


def test_email_goes_out_at_due_time_once(customer, shop):
    FollowUpRuleFactory(delay_minutes=60)
    start = timezone.now()
    _deliver(customer, shop, at=start)

    with time_machine.travel(start + timedelta(minutes=59)):
        assert followup_sweep() == 0
    assert mail.outbox == []
    with time_machine.travel(start + timedelta(minutes=61)):
        assert followup_sweep() == 1
        assert followup_sweep() == 0  # done is done
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["kim@example.com"]
    assert sent.subject == "Getting started with grinder"
    assert "Hello Kim, your order ORD-1 arrived." in sent.body
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    followup = FollowUp.objects.get()
    assert followup.state == FollowUpState.SENT
    assert followup.outcome == "email to kim@example.com (sent)"
    row = OutboxMessage.objects.get()
    assert followup.outbox_message == row
    assert sent.extra_headers["Message-ID"] == f"<{followup.message_id}>"


def test_sent_followups_publish_an_event(customer, shop):
    seen = []
    events.subscribe(events.FOLLOWUP_SENT, seen.append)
    try:
        FollowUpRuleFactory(delay_minutes=0)
        _deliver(customer, shop)
        followup_sweep()
    finally:
        events.unsubscribe(events.FOLLOWUP_SENT, seen.append)
    assert [e.customer for e in seen] == [customer]


def test_quiet_rule_skips_a_customer_with_an_open_ticket(customer, shop):
    FollowUpRuleFactory(delay_minutes=0, quiet_if_open_ticket=True)
    TicketFactory(requester=customer, status="open")
    _deliver(customer, shop)
    followup_sweep()
    followup = FollowUp.objects.get()
    assert followup.state == FollowUpState.SKIPPED
    assert "open ticket" in followup.outcome
    assert mail.outbox == []


def test_quiet_days_skip_a_customer_contacted_recently(customer, shop):
    FollowUpRuleFactory(delay_minutes=0, quiet_days=7)
    _deliver(customer, shop, ref="A")
    followup_sweep()  # the first one is sent...
    _deliver(customer, shop, ref="B")
    followup_sweep()  # ...the second is within 7 days of it
    assert list(FollowUp.objects.order_by("id").values_list("state", flat=True)) == [
        FollowUpState.SENT,
        FollowUpState.SKIPPED,
    ]
    assert len(mail.outbox) == 1


def test_outreach_opens_a_proactive_ticket_for_the_team(customer, shop):
    success = TeamFactory(name="Customer Success")
    FollowUpRuleFactory(
        action="outreach",
        delay_minutes=0,
        team=success,
        subject="Call {{ customer.name }} about {{ delivery.external_ref }}",
        body="Check the setup went well.",
    )
    _deliver(customer, shop)
    followup_sweep()
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.team, ticket.channel) == (TicketKind.PROACTIVE, success, "phone")
    assert ticket.subject == "Call Kim about ORD-1"
    note = ticket.messages.get()
    assert not note.is_public  # the brief is for the team, not sent to the customer
    assert FollowUp.objects.get().result_ticket == ticket
    assert mail.outbox == []


def test_failures_retry_with_backoff_then_stay_failed(customer, shop, settings):
    settings.EMAIL_BACKEND = "tests.success.test_sweep.BrokenBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    FollowUpRuleFactory(delay_minutes=0)
    _deliver(customer, shop)
    now = timezone.now()
    followup_sweep()
    followup = FollowUp.objects.get()
    row = followup.outbox_message
    assert followup.state == FollowUpState.SENDING  # not counted as sent
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("queued", 1)
    assert "SMTP down" in row.error
    assert row.next_attempt_at > now + timedelta(seconds=20)  # backed off, not hammering
    for _ in range(2):
        with time_machine.travel(
            OutboxMessage.objects.get().next_attempt_at + timedelta(seconds=1)
        ):
            followup_sweep()
    followup.refresh_from_db()
    assert followup.state == FollowUpState.FAILED
    assert "SMTP down" in followup.error

    services.followup_retry(followup)  # a manager fixed the mail server
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    followup_sweep()
    followup.refresh_from_db()
    assert followup.state == FollowUpState.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{followup.message_id}>"


def test_one_failing_row_does_not_block_the_others(customer, shop, settings):
    from tests.factories import CustomerFactory

    FollowUpRuleFactory(delay_minutes=0, action="outreach", subject="{{ customer.name }}")
    nameless = CustomerFactory(email="")  # no email: its email rule is skipped, not failed
    FollowUpRuleFactory(delay_minutes=0)
    _deliver(customer, shop, ref="A")
    _deliver(nameless, shop, ref="B")
    followup_sweep()
    states = dict(FollowUp.objects.values_list("customer_id", "state").filter(rule__action="email"))
    assert states == {customer.pk: FollowUpState.SENT, nameless.pk: FollowUpState.SKIPPED}
    assert Ticket.objects.count() == 2


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")
