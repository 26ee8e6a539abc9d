"""A message's ticket update writes the columns the service changed, nothing else: what is
stored is what the object says, and a trigger on an untouched column (the search document's
on `subject`) does not fire for every reply."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import TicketFactory
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _ticket_updates(queries) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "tickets_ticket"')
    ]


def _stored(ticket: Ticket) -> dict:
    row = Ticket.objects.get(pk=ticket.pk)
    return {f.attname: getattr(row, f.attname) for f in Ticket._meta.concrete_fields}


def test_a_customer_message_writes_only_version_status_and_updated_at(team):
    ticket = TicketFactory(team=team, status="pending")
    before = _stored(ticket)
    with CaptureQueriesContext(connection) as queries:
        message = services.customer_message_add(ticket=ticket, body="Any news?")
    (update,) = _ticket_updates(queries)
    set_part = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert sorted(c.split(" = ")[0] for c in set_part.split(", ")) == [
        '"status"',
        '"updated_at"',
        '"version"',
    ]
    after = _stored(ticket)
    assert after["status"] == "open"
    assert after["version"] == before["version"] + 1
    assert after["updated_at"] > before["updated_at"]
    unchanged = {k: v for k, v in after.items() if k not in ("status", "version", "updated_at")}
    assert unchanged == {k: v for k, v in before.items() if k in unchanged}
    assert message.ticket_id == ticket.pk


def test_an_agent_reply_stores_everything_it_changed(team, agent):
    ticket = TicketFactory(team=team, status="new")
    services.ticket_reply(ticket=ticket, author=agent, body="On it", public=False, claim=True)
    services.ticket_reply(ticket=ticket, author=agent, body="Sent a new one", claim=True)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.status == "open"
    assert stored.assignee_id == agent.pk
    assert stored.first_replied_at is not None
    assert stored.version == 3
