"""Follow-ups are conversations: they leave from the customer's support mailbox with a
Message-ID on its domain and Auto-Submitted: auto-generated, and the customer's answer opens a
ticket linked to the follow-up."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from outbox.tasks import sweep as outbox_sweep
from success import services
from success.models import FollowUp, FollowUpState
from success.tasks import followup_sweep
from tests.factories import FollowUpRuleFactory
from tests.tickets.channels import mails
from tests.tickets.channels.conftest import deliver, make_channel

pytestmark = pytest.mark.django_db


def test_a_followup_leaves_from_the_mailbox_and_its_answer_opens_a_linked_ticket(
    customer, shop, team, manager_client, django_capture_on_commit_callbacks
):
    make_channel("email", "Other mailbox", address="hello@other.test")
    mailbox = make_channel("email", "Acme support", address="support@acme.test", from_name="Acme")
    # Kim's last ticket came to the Acme mailbox: that is her support mailbox.
    deliver(
        mailbox,
        mails.build(message_id="<first@mail.example.com>"),
        django_capture_on_commit_callbacks,
    )
    FollowUpRuleFactory(delay_minutes=0)
    services.delivery_record(
        customer=customer, source=shop, external_ref="ORD-1", delivered_at=timezone.now()
    )
    followup_sweep()
    outbox_sweep()
    followup = FollowUp.objects.get()
    assert followup.state == FollowUpState.SENT
    [sent] = [m for m in mail.outbox if m.subject.startswith("Getting started")]
    assert sent.from_email == "Acme <support@acme.test>"
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert sent.extra_headers["Message-ID"] == f"<{followup.message_id}>"
    assert followup.message_id.endswith("@acme.test")

    answer = mails.build(
        subject="Re: Getting started with grinder",
        text="It makes a strange noise.",
        message_id="<answer@mail.example.com>",
        in_reply_to=f"<{followup.message_id}>",
    )
    ticket = deliver(mailbox, answer, django_capture_on_commit_callbacks).ticket
    followup.refresh_from_db()
    assert followup.reply_ticket == ticket
    assert ticket.messages.get().body_text.strip() == "It makes a strange noise."
    api = manager_client.get(f"/api/v1/followups/{followup.pk}/").json()
    assert api["message_id"] == followup.message_id
    assert api["reply_ticket"] == ticket.pk
    delivery = api["message_delivery"]
    assert (delivery["state"], delivery["recipient"], delivery["channel"]) == (
        "sent",
        "kim@example.com",
        "email",
    )
