"""How tickets' messages leave, as operations: retrying a failed delivery, remembering a
Message-ID that another app sent on a ticket's behalf (a follow-up) as a thread key."""

from __future__ import annotations

from django.db import transaction

from outbox.models import OutboxMessage
from outbox.services import outbox_retry

from ..channels.models import Channel
from ..channels.threads import thread_remember, threads_remember
from ..models import EventKind, Message, Ticket
from .audit import audit_record


@transaction.atomic
def message_delivery_retry(*, message: Message, actor) -> OutboxMessage:
    """Queue a failed public message again (same envelope, same Message-ID / delivery id);
    ValidationError when its delivery is not failed. Audited (delivery_retried)."""
    row = OutboxMessage.objects.get(message=message)
    row = outbox_retry(row=row)
    audit_record(
        ticket=message.ticket,
        kind=EventKind.DELIVERY_RETRIED,
        actor_user=actor,
        after={"message": message.pk, "delivery": row.pk},
    )
    return row


def thread_key_remember(*, channel: Channel, key: str, ticket: Ticket) -> None:
    """A Message-ID sent from `channel` about `ticket`: a reply to it finds the ticket."""
    thread_remember(channel, key, ticket)


def thread_keys_remember(items: list[tuple[Channel, str, Ticket]]) -> None:
    """thread_key_remember for many (channel, key, ticket) at once (a sweep's batch)."""
    threads_remember(items)
