"""core.rows: hand-written statements give what the ORM calls they replace give."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import IdempotencyRecord
from core import rows
from tests.factories import TeamFactory, TicketFactory
from tickets.models import EventKind, Team, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _state(obj) -> dict:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def test_insert_writes_every_row_in_one_statement_as_bulk_create_would(team):
    ticket = TicketFactory(team=team)
    events = [
        TicketEvent(ticket=ticket, kind=EventKind.CREATED, after={"subject": "Привет", "n": 1}),
        TicketEvent(ticket=ticket, kind="note", before={"tags": ["ā"]}, after={}),
    ]
    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        rows.insert(events)
    assert len(queries) == 1
    assert all(e.pk and not e._state.adding and e.created_at >= before for e in events)
    stored = {e.pk: e for e in TicketEvent.objects.filter(ticket=ticket)}
    assert [_state(stored[e.pk]) for e in events] == [_state(e) for e in events]
    events[1].kind = "changed"
    events[1].save()  # a saved row: an UPDATE, not a second INSERT
    assert TicketEvent.objects.filter(ticket=ticket).count() == 2
    with CaptureQueriesContext(connection) as nothing:
        rows.insert([])
    assert len(nothing) == 0


def test_insert_keeps_preset_auto_now_fields_and_stamps_the_others(team):
    ticket = TicketFactory(team=team)
    set_at = timezone.now() - timedelta(minutes=5)
    kept = TicketEvent(ticket=ticket, kind=EventKind.CREATED, after={}, created_at=set_at)
    stamped = TicketEvent(ticket=ticket, kind=EventKind.CREATED, after={}, created_at=set_at)
    rows.insert([kept], preset=("created_at",))
    rows.insert([stamped])
    assert TicketEvent.objects.get(pk=kept.pk).created_at == set_at
    assert TicketEvent.objects.get(pk=stamped.pk).created_at > set_at


def test_insert_skipping_conflicts_writes_only_what_no_unique_constraint_holds(team):
    first = Team(name="Billing")
    assert rows.insert([first], skip_conflicts=True) == 1
    assert first.pk is not None
    again = Team(name="Billing")  # Team.name is unique
    with CaptureQueriesContext(connection) as queries:
        assert rows.insert([again], skip_conflicts=True) == 0
    assert len(queries) == 1  # no savepoint: a conflict is not an error
    assert again.pk is None
    several = [Team(name="Billing"), Team(name="Returns")]
    assert rows.insert(several, skip_conflicts=True) == 1
    assert sorted(Team.objects.values_list("name", flat=True)) == sorted(
        ["Billing", "Returns", team.name]
    )


def test_first_is_filter_first():
    assert rows.first(Team, "m.is_default") is None
    TeamFactory(name="B", is_default=False)
    default = TeamFactory(name="A", is_default=True)
    found = rows.first(Team, "m.is_default")
    assert _state(found) == _state(Team.objects.filter(is_default=True).first())
    assert found.pk == default.pk
    assert not found._state.adding
    assert rows.first(Team, "m.name = %s", ["B"]).name == "B"


def test_update_sets_the_row_and_the_object(team, agent):
    ticket = TicketFactory(team=team)
    due = timezone.now() + timedelta(hours=3)
    other = TicketFactory(team=team)
    rows.update(ticket, next_due_at=due, outside_plan=True)
    assert (ticket.next_due_at, ticket.outside_plan) == (due, True)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.next_due_at, stored.outside_plan) == (due, True)
    assert Ticket.objects.get(pk=other.pk).next_due_at is None
    rows.update(ticket, assignee_id=agent.pk)  # a foreign key by its attname
    assert ticket.assignee == agent
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk


def test_update_stores_bytes(integration):
    record = IdempotencyRecord.objects.create(
        owner="o", key="k", method="POST", path="/api/", request_hash="h", created_at=timezone.now()
    )
    rows.update(record, status_code=201, content_type="application/json", response_body=b"\x00{}")
    stored = IdempotencyRecord.objects.get(pk=record.pk)
    assert (stored.status_code, bytes(stored.response_body)) == (201, b"\x00{}")


_SAMPLES = (
    None,
    "",
    "text",
    "ünï😀",
    0,
    7,
    -3,
    2**40,
    True,
    False,
    1.5,
    timezone.now(),
    timezone.now().replace(tzinfo=None),
    EventKind.CREATED,
)


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_insert_values_are_what_get_db_prep_save_gives_for_every_field_of_every_model():
    """The fast path of `insert` (values passed through unconverted) against Django's own
    conversion, for each of our models' fields and values of every plain kind: the same type
    and value wherever Django accepts the value (integer fields keep the backend's adapter:
    Int2/Int4 with server-side binding)."""
    from django.apps import apps

    checked = plain_fields = 0
    for model in apps.get_models():
        for field, _attname, plain, adapt in rows._insert_plan(model, connection.vendor):
            plain_fields += plain is not None
            for value in _SAMPLES:
                try:
                    expected = field.get_db_prep_save(value, connection)
                except Exception:  # Django refuses it: so must we
                    with pytest.raises(Exception):  # noqa: B017, PT011
                        rows._db_value(field, value, plain, adapt, connection)
                    continue
                got = rows._db_value(field, value, plain, adapt, connection)
                assert (type(got), repr(got)) == (type(expected), repr(expected)), (
                    model.__name__,
                    field.name,
                    value,
                )
                checked += 1
    assert plain_fields > 100  # the fast path was exercised
    assert checked > 1000


def test_insert_with_writes_a_row_and_its_children_in_one_statement(team):
    """A ticket, its first message and its thread in one statement: each row stored as the
    objects say, each child keyed to the ticket, and the ticket's search document (kept by
    row triggers that fire at the end of the statement) already holding the message."""
    from tests.factories import CustomerFactory
    from tickets.channels.models import Channel, ChannelThread
    from tickets.models import Message, TicketSearch

    customer = CustomerFactory()
    channel = Channel.objects.create(kind="email", name="Mailbox", settings={})
    ticket = Ticket(subject="Parcel", requester=customer, team=team)
    ticket.created_at = ticket.updated_at = timezone.now() - timedelta(minutes=5)
    message = Message(ticket=ticket, direction="inbound", body_text="The zeppelin never came")
    thread = ChannelThread(channel=channel, ticket=ticket, key="<m1@example.com>")
    thread.last_message_at = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        rows.insert_with(ticket, [message, thread], preset=("created_at", "updated_at"))
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
    assert message.ticket_id == thread.ticket_id == ticket.pk
    assert message.ticket is ticket
    assert not message._state.adding
    stored = Ticket.objects.get(pk=ticket.pk)
    assert _state(stored) == _state(ticket)
    assert _state(Message.objects.get(pk=message.pk)) == _state(message)
    assert _state(ChannelThread.objects.get(pk=thread.pk)) == _state(thread)
    if connection.vendor == "postgresql":
        document = TicketSearch.objects.values_list("document", flat=True).get(ticket=ticket)
        assert "zeppelin" in document
        assert "parcel" in document


def test_insert_with_puts_an_earlier_childs_id_into_a_later_childs_json(team):
    """A ticket's "created" event names its first message, whose id the statement assigns:
    the event's JSON gets it in the same statement (and the object after), beside what the
    JSON already held, whatever comes between them."""
    from tests.factories import CustomerFactory
    from tickets.models import Message

    ticket = Ticket(subject="Parcel", requester=CustomerFactory(), team=team)
    message = Message(ticket=ticket, direction="inbound", body_text="Where is it?")
    other = Message(ticket=ticket, direction="inbound", body_text="Hello?")
    event = TicketEvent(ticket=ticket, kind=EventKind.CREATED, after={"subject": "Привет"})
    with CaptureQueriesContext(connection) as queries:
        rows.insert_with(
            ticket,
            [message, other, event],
            ids_in_json=[
                rows.IdInJson(event, "after", "message", message),
                rows.IdInJson(event, "before", "other", other),
            ],
        )
    assert len(queries) == (1 if connection.vendor == "postgresql" else 4)
    assert None not in (message.pk, other.pk)
    assert message.pk != other.pk
    assert event.after == {"subject": "Привет", "message": message.pk}
    assert event.before == {"other": other.pk}
    stored = TicketEvent.objects.get(pk=event.pk)
    assert stored.after == event.after
    assert stored.before == event.before
    assert stored.ticket_id == ticket.pk
