"""After a merge, what the requester sends on the merged ticket's threads lands in the target:
an email answering the old thread (its Message-ID, or its [#id] token) and a live chat."""

from __future__ import annotations

import pytest

from tickets.models import Ticket
from tickets.services import ticket_create, ticket_merge

from . import mails
from .conftest import deliver
from .test_chat import chat

pytestmark = pytest.mark.django_db


def test_an_email_reply_to_the_merged_ticket_threads_into_the_target(
    email_channel, agent, django_capture_on_commit_callbacks
):
    first = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    target = ticket_create(
        requester=first.ticket.requester,
        subject="Order 1042",
        body="Phoned in",
        team=first.ticket.team,
    )
    ticket_merge(source=first.ticket, target=target, actor=agent)
    reply = mails.build(
        subject="Re: Order 1042 arrived damaged",
        text="Any news?",
        message_id="<m2@mail.example.com>",
        in_reply_to="<m1@mail.example.com>",
        references="<m1@mail.example.com>",
    )
    second = deliver(email_channel, reply, django_capture_on_commit_callbacks)
    assert second.ticket_id == target.pk
    assert Ticket.objects.count() == 2  # no new ticket
    assert target.messages.last().body_text == "Any news?"
    token = mails.build(
        subject=f"[#{first.ticket_id}] still waiting", text="Hello?", message_id="<m3@x.example>"
    )
    assert deliver(email_channel, token, django_capture_on_commit_callbacks).ticket_id == target.pk


def test_a_chat_continuing_after_the_merge_goes_to_the_target(
    integration_client, chat_channel, agent, django_capture_on_commit_callbacks
):
    first = chat(integration_client, django_capture_on_commit_callbacks, "Hello", "m1")
    target = ticket_create(
        requester=first.ticket.requester, subject="Earlier", body="x", team=first.ticket.team
    )
    ticket_merge(source=first.ticket, target=target, actor=agent)
    later = chat(integration_client, django_capture_on_commit_callbacks, "Still there?", "m2")
    assert later.ticket_id == target.pk
    assert target.messages.last().body_text == "Still there?"
