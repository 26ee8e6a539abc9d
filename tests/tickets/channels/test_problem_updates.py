"""A solved problem's update reaches each incident's requester on their own channel."""

from __future__ import annotations

import pytest

from outbox.models import OutboxMessage
from tickets.services import problem_incidents_link, ticket_create, ticket_update

from . import mails
from .conftest import deliver

pytestmark = pytest.mark.django_db


def test_each_email_requester_gets_one_mail_when_the_problem_is_solved(
    email_channel, agent, mailoutbox, django_capture_on_commit_callbacks
):
    kim = deliver(email_channel, mails.build(), django_capture_on_commit_callbacks)
    ana = deliver(
        email_channel,
        mails.build(sender="Ana Ruiz <ana@example.org>", message_id="<a1@example.org>"),
        django_capture_on_commit_callbacks,
    )
    problem = ticket_create(
        requester=kim.ticket.requester, subject="Warehouse scanner broken", body="x"
    )
    problem_incidents_link(problem=problem, incidents=[kim.ticket, ana.ticket], actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=problem, actor=agent, status="solved")
    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.org", "kim@example.com"]
    assert all("has been fixed" in m.body for m in mailoutbox)
    assert OutboxMessage.objects.filter(transport="email", state="sent").count() == 2
