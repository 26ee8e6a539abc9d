"""Which mailbox an email came to, and which ticket it belongs to: In-Reply-To/References
against the Message-IDs this mailbox has seen or sent, then a `[#123]` token in the subject,
else none (a new ticket). A merge moves the merged ticket's Message-IDs to the target; a
token follows the pointer."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q

from core import rows
from customers.models import Customer

from ...models import ChannelKind, Ticket
from ...selectors import merge_target_of
from ..intake import resolve_channel
from ..models import Channel, ChannelThread

if TYPE_CHECKING:  # a type only: email.py imports this module
    from .parse import ParsedEmail

# Called with (ticket, thread_keys) when an email that answers Message-IDs no ticket knows
# opens a new ticket: an upper app that sent mail of its own (success: follow-ups) links it.
# Registered from that app's handlers.connect(), like slas.hybrid.SELF_SERVICE_HINTS.
NEW_TICKET_FROM_REPLY: list = []


def new_ticket_from_reply(ticket: Ticket, keys: list[str]) -> None:
    """Tell the listeners that `ticket` was opened by an email answering `keys`."""
    if keys:
        for listener in NEW_TICKET_FROM_REPLY:
            listener(ticket=ticket, keys=keys)


def mailbox_for(data: dict) -> Channel | None:
    """The email channel of a raw email: `data["channel"]` (id or name) when given, else the
    mailbox it was sent to (`data["recipients"]`: To, Cc, Delivered-To...)."""
    ref = data.get("channel")
    recipients = () if ref else data.get("recipients", ())
    return resolve_channel(ChannelKind.EMAIL, ref, address_candidates=recipients)


def find_ticket(channel: Channel, parsed: ParsedEmail, customer: Customer) -> Ticket | None:
    keys = parsed.thread_keys
    if keys:
        ticket = _threaded_ticket(channel, keys)
        if ticket is not None:
            return ticket
    token = parsed.ticket_token
    if token is not None:
        # A token is easy to type: it only threads mail from the ticket's requester or their
        # organization, so a stranger cannot write into someone else's ticket by guessing ids.
        same_sender = Q(requester=customer)
        if customer.organization_id:
            same_sender |= Q(organization_id=customer.organization_id)
        ticket = Ticket.objects.filter(same_sender, pk=token).first()
        # A merged ticket's token leads to the ticket it was merged into.
        return merge_target_of(ticket) if ticket is not None else None
    return None


def _threaded_ticket(channel: Channel, keys: list[str]) -> Ticket | None:
    """The ticket of the most recent open thread among `keys` on the mailbox: what
    ChannelThread.objects.filter(channel=, key__in=, ended_at__isnull=True)
    .order_by("-last_message_at", "-id").first().ticket answers, in SQL written once
    (core.rows: every reply asks it)."""
    keys = list(keys)
    if not keys:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_threaded_sql(len(keys)), [channel.pk, *keys])
        found = cursor.fetchone()
    return rows.instance(Ticket, found) if found is not None else None


@functools.cache
def _threaded_sql(count: int) -> str:
    threads = rows.table(ChannelThread)
    keys = ", ".join(["%s"] * count)
    return (
        f"SELECT {rows.columns(Ticket, 'k')} FROM {threads} t"  # noqa: S608 - model names
        f" JOIN {rows.table(Ticket)} k ON k.id = t.ticket_id"
        f" WHERE t.channel_id = %s AND t.key IN ({keys}) AND t.ended_at IS NULL"
        " ORDER BY t.last_message_at DESC, t.id DESC LIMIT 1"
    )
