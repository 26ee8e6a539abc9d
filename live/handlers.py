"""What the real-time layer hears: a new message (public reply, internal note, customer message)
is told to the agents looking at its ticket (groups.ticket), and a change that moves a queue
(a ticket created; its status, assignee, team or priority changed; an SLA warning or breach) is
told to the queue groups of the ticket's team (groups.team_queue; a team change: both teams).

Events carry ids only; a socket fetches what it shows through the desk's own pages, so every
read stays behind the desk's visibility rule. Handlers are `subscribe_many` ones: a batch (a
publish_many, an `events.batched()` block) arrives as one list. Nothing is sent inside the
transaction: the pairs wait in a per-transaction buffer that one on_commit callback sends in
one trip (live.publish.publish_many), a queue group once per transaction however many of its
tickets changed. A rollback discards the callback, and the buffer with it.
"""

from __future__ import annotations

import threading

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core import events
from outbox import transports
from outbox.models import OutboxMessage
from tickets.models import Message

from . import groups
from .publish import publish_many

# Changes of these ticket fields move a ticket within a queue, into one or out of one.
QUEUE_FIELDS = frozenset({"status", "assignee", "team", "priority"})

_local = threading.local()


class _Pending:
    """The events of one transaction: message events in order, queue events per group."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict]] = []
        self.queues: dict[str, list[int]] = {}

    def add_queue(self, team_id: int | None, ticket_id: int) -> None:
        tickets = self.queues.setdefault(groups.team_queue(team_id), [])
        if ticket_id not in tickets:
            tickets.append(ticket_id)

    def pairs(self) -> list[tuple[str, dict]]:
        queue_events = [(group, _queue_event(tickets)) for group, tickets in self.queues.items()]
        return [*self.messages, *queue_events]

    def send(self) -> None:
        if getattr(_local, "pending", None) is self:
            _local.pending = None
        publish_many(self.pairs())


def _queue_event(tickets: list[int]) -> dict:
    """One ticket: {"type": "queue", "ticket": id}; several: "tickets" lists them."""
    if len(tickets) == 1:
        return {"type": "queue", "ticket": tickets[0]}
    return {"type": "queue", "tickets": tickets}


def _pending() -> _Pending:
    """The buffer of the current transaction and savepoint; a new one (with its on_commit
    send) when the last one was sent, was thrown away with a rollback (its callback is no
    longer registered), or belongs to another savepoint (so a savepoint rolled back takes its
    own events with it, and leaves the outer ones alone)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return _Pending()  # autocommit: the caller sends at once
    here = set(connection.savepoint_ids)
    pending = getattr(_local, "pending", None)
    registered = pending is not None and any(
        sids == here and func == pending.send for sids, func, _robust in connection.run_on_commit
    )
    if not registered:
        pending = _local.pending = _Pending()
        transaction.on_commit(pending.send)
    return pending


def _deliver(fill) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    pending = _pending()
    fill(pending)
    if not connection.in_atomic_block:
        pending.send()


def on_messages_created(batch: list[events.DomainEvent]) -> None:
    def fill(pending: _Pending) -> None:
        for event in batch:
            ticket_id, message_id = event.ticket.pk, event.message.pk
            pending.messages.append(
                (
                    groups.ticket(ticket_id),
                    {"type": "message", "ticket": ticket_id, "message": message_id},
                )
            )

    _deliver(fill)


def on_queue_changed(batch: list[events.DomainEvent]) -> None:
    """Ticket created, SLA warning or breach: the queue of the ticket's team."""

    def fill(pending: _Pending) -> None:
        for event in batch:
            pending.add_queue(event.ticket.team_id, event.ticket.pk)

    _deliver(fill)


def on_tickets_updated(batch: list[events.DomainEvent]) -> None:
    """A change of a queue field: the ticket's team's queue, and the team it left."""

    def fill(pending: _Pending) -> None:
        for event in batch:
            changes = event.changes or {}
            if not QUEUE_FIELDS & changes.keys():
                continue
            pending.add_queue(event.ticket.team_id, event.ticket.pk)
            if "team" in changes:
                pending.add_queue(changes["team"][0], event.ticket.pk)

    _deliver(fill)


def on_delivery_changed(row: OutboxMessage) -> None:
    """A reply's delivery changed (sent, failed, queued again, delivered, read): the agents on
    its ticket re-read that message, so the page does not say "Queued" for a reply the
    visitor already saw. Rows that carry no message (webhooks, follow-ups) tell no one."""
    if row.message_id is None:
        return
    if OutboxMessage.message.is_cached(row):  # the outbox reads it with the row it locks
        ticket_id = row.message.ticket_id
    else:
        ticket_id = (
            Message.objects.filter(pk=row.message_id).values_list("ticket_id", flat=True).first()
        )
    if ticket_id is None:
        return

    def fill(pending: _Pending) -> None:
        event = {"type": "delivery", "ticket": ticket_id, "message": row.message_id}
        pending.messages.append((groups.ticket(ticket_id), event))

    _deliver(fill)


def connect() -> None:
    """Idempotent (events.subscribe_many and transports.listen_changes ignore a second call)."""
    events.subscribe_many(events.MESSAGE_CREATED, on_messages_created)
    events.subscribe_many(events.TICKET_CREATED, on_queue_changed)
    events.subscribe_many(events.TICKET_UPDATED, on_tickets_updated)
    events.subscribe_many(events.SLA_WARNING, on_queue_changed)
    events.subscribe_many(events.SLA_BREACHED, on_queue_changed)
    transports.listen_changes(on_delivery_changed)
