"""The "chat" outbox transport: how an agent's reply reaches a chat visitor.

- A channel with a `webhook_url` (a third-party chat provider) gets the signed
  `channel.reply` webhook, as before (outbox.webhook: same signature, same delivery id).
- Our widget: the reply is published to the conversation's visitor group and counts as sent
  only when a widget socket of the conversation is connected (presence in Redis); when none
  is and the visitor left an email, it goes by email at once (the offline flow: "we answer by
  email"); when neither, the attempt fails with a reason the desk shows, and the outbox tries
  again later (the visitor may come back) until it gives up: never "sent" for a reply nobody
  received.
"""

from __future__ import annotations

from live import groups
from live.publish import publish
from outbox import email as email_transport
from outbox import webhook
from outbox.models import OutboxMessage
from outbox.transports import Sent
from tickets.channels.models import Channel, ChannelThread
from tickets.channels.outbound import reply_email
from tickets.channels.routing import best_email, support_mailbox
from tickets.channels.threads import thread_remember

from . import presence, selectors


class VisitorUnreachable(Exception):
    """Transient: the visitor may open the chat again (the outbox retries with backoff)."""

    status = None


def _via_webhook(row: OutboxMessage, channel: Channel) -> Sent:
    envelope = webhook.envelope(
        url=channel.settings["webhook_url"],
        secret=channel.settings.get("webhook_secret", ""),
        event="channel.reply",
        body=row.payload,
    )
    return webhook.send(OutboxMessage(pk=row.pk, transport="webhook", payload=envelope))


def _socket_event(row: OutboxMessage) -> dict:
    """The reply as the widget shows it: the same JSON as the conversation's history, with
    its files' links (selectors.message_json); from the payload when the row names no message."""
    if row.message_id is not None:
        return {"type": "message", "message": selectors.message_json(row.message)}
    message = row.payload["message"]
    return {
        "type": "message",
        "message": {
            "id": message["id"],
            "author": "agent",
            "name": message.get("author", ""),
            "body": message.get("text", ""),
            "created_at": message.get("created_at", ""),
            "attachments": [],
        },
    }


def _via_email(row: OutboxMessage, address: str) -> Sent:
    message = row.message
    ticket = message.ticket
    mailbox = support_mailbox(ticket.requester, ticket)
    message_id, envelope = reply_email(
        message, mailbox, idstring=f"t{ticket.pk}.m{message.pk}.chat"
    )
    if mailbox is not None:
        thread_remember(mailbox, message_id, ticket)  # their answer threads into the ticket
    sent = email_transport.send(
        OutboxMessage(pk=row.pk, transport="email", recipient=address, payload=envelope)
    )
    return Sent(provider_id=f"email:{sent.provider_id}")


def send(row: OutboxMessage) -> Sent:
    body = row.payload
    channel = Channel.objects.filter(pk=body["channel"]["id"]).first()
    if channel is None:
        raise webhook.HttpPermanent("The chat channel of this reply no longer exists.")
    if channel.settings.get("webhook_url"):
        return _via_webhook(row, channel)
    thread = (
        ChannelThread.objects.filter(channel=channel, key=body["conversation_id"])
        .order_by("-id")
        .first()
    )
    online = thread is not None and presence.connected(thread.pk)
    if online and publish(groups.visitor(thread.pk), _socket_event(row)):
        return Sent(provider_id=f"socket:{thread.pk}:{body['message']['id']}")
    address = best_email(row.message.ticket.requester) if row.message_id else ""
    if address:
        return _via_email(row, address)
    raise VisitorUnreachable(
        "The visitor is not connected to the chat and left no email address: the reply "
        "reaches them if they open the chat again."
    )
