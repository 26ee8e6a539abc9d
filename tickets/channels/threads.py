"""Threads: the one "find the open thread or open a ticket" rule every channel adapter uses.

A ChannelThread row maps a key (an email Message-ID, a chat or social conversation id) on a
channel to a ticket. `continue_or_open` appends the customer's message to the ticket its
thread (or the adapter's own rule, e.g. email's References) names, and opens a ticket when
there is none, the conversation went idle, or the ticket is closed. A new ticket's thread is
written with the ticket, before `ticket.created` subscribers run, so an automatic answer to
the first message already finds its conversation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from core import rows
from customers.models import Customer

from ..attachments import AttachmentInput
from ..models import Ticket
from .intake import Outcome, append_message, open_ticket
from .models import Channel, ChannelThread


@dataclass(frozen=True)
class MessageContent:
    """What the customer wrote, as it goes on a ticket (the first message or a later one)."""

    body: str
    html_body: str = ""
    external_id: str = ""
    attachments: Iterable[AttachmentInput] = ()
    withheld_parts: Iterable[dict] = ()

    def fields(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "html_body": self.html_body,
            "external_id": self.external_id,
            "attachments": self.attachments,
            "withheld_parts": self.withheld_parts,
        }


@dataclass(frozen=True)
class NewTicket:
    """What a ticket opened by this message gets beyond the message."""

    subject: str
    external_ref: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


def open_thread(channel: Channel, key: str) -> ChannelThread | None:
    """The open thread of `key` on the channel, locked until the transaction ends."""
    return (
        ChannelThread.objects.select_for_update()
        .select_related("ticket")
        .filter(channel=channel, key=key[:500], ended_at__isnull=True)
        .first()
    )


def thread_remember(channel: Channel, key: str, ticket: Ticket, at: datetime | None = None) -> None:
    """Record a key (a Message-ID received or sent) so what answers it finds the ticket. A key
    already open on the channel keeps its ticket."""
    threads_remember([(channel, key, ticket)], at)


def threads_remember(
    items: Iterable[tuple[Channel, str, Ticket]], at: datetime | None = None
) -> None:
    """thread_remember for many (channel, key, ticket) at once: one statement."""
    at = at or timezone.now()
    threads = [
        ChannelThread(channel=channel, key=key[:500], ticket=ticket, last_message_at=at)
        for channel, key, ticket in items
        if key
    ]
    # ON CONFLICT DO NOTHING: one statement, no savepoint, and a known key keeps its ticket.
    rows.insert(threads, skip_conflicts=True)


def _end(thread: ChannelThread, now: datetime) -> None:
    thread.ended_at = now
    thread.save(update_fields=["ended_at"])


def _live_thread(
    channel: Channel, key: str, at: datetime, idle_after: timedelta | None, now: datetime
) -> ChannelThread | None:
    """The key's open thread, ended (and None) when idle longer than `idle_after` before
    `at`: idle is measured between the customer's messages, so a queue backlog does not end
    a conversation that was lively when it happened."""
    thread = open_thread(channel, key) if key else None
    if thread is not None and idle_after is not None and thread.last_message_at < at - idle_after:
        _end(thread, now)
        return None
    return thread


def continue_or_open(
    channel: Channel,
    *,
    customer: Customer,
    content: MessageContent,
    new_ticket: NewTicket,
    thread_key: str = "",
    ticket: Ticket | None = None,
    at: datetime | None = None,
    idle_after: timedelta | None = None,
    submitted_by=None,
    key_is_new: bool = False,
) -> Outcome:
    """The customer's message on the ticket `ticket` (the adapter's own match) or the open
    thread of `thread_key` names; else a new ticket, whose thread `thread_key` is written
    before ticket.created is published. A closed ticket ends its thread (the next message
    opens a new one); `idle_after` ends a conversation idle that long before `at`.

    `key_is_new`: the adapter knows no thread has `thread_key` yet (an email's own
    Message-ID, the row's dedupe key: a second delivery never gets this far), so it is
    not looked up; the adapter's `ticket` is the only match."""
    now = timezone.now()
    at = min(at or now, now)
    thread = None if key_is_new else _live_thread(channel, thread_key, at, idle_after, now)
    target = ticket or (thread.ticket if thread is not None else None)
    message = None
    if target is not None:
        fields = content.fields()
        message = append_message(target, customer=customer, channel=channel.kind, **fields)
    if message is None:  # no ticket yet, or it was closed meanwhile
        if thread is not None:
            _end(thread, now)
        opened, message = open_ticket(
            channel,
            requester=customer,
            subject=new_ticket.subject,
            external_ref=new_ticket.external_ref,
            tags=new_ticket.tags,
            submitted_by=submitted_by,
            thread_key=thread_key,
            thread_at=at,
            **content.fields(),
        )
        return Outcome(opened, message)
    if thread is not None and thread.ticket_id == target.pk:
        thread.last_message_at = max(thread.last_message_at, at)
        thread.save(update_fields=["last_message_at"])
    elif thread is None:
        thread_remember(channel, thread_key, target, at)
    return Outcome(target, message)
