"""Public messages leave through the outbox, on the route routing.reply_route chose.

`on_message_created` (subscribed to message.created) runs in the message's transaction: it
writes one outbox row for the message (an email envelope with a Message-ID fixed now, so the
customer's answer threads before the send happened; or the conversation's webhook payload),
records the channel it goes out on on the message, or records the message undeliverable when
nothing can carry it. The outbox sends after commit and retries; its final outcome comes
back through `on_delivery_outcome` (a failed public message publishes
message.delivery_failed).
"""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.utils import timezone

from core import events
from outbox import email as email_transport
from outbox.models import OutboxMessage, Purpose, State
from outbox.services import outbox_enqueue, outbox_record_undeliverable
from webhooks.services import delivery_create

from ..models import Direction, Message
from ..status import Status
from . import registry, routing
from .models import ChannelThread
from .threads import thread_remember


def _purpose(message: Message, event: events.DomainEvent) -> str:
    if message.author_user_id is not None:
        return Purpose.REPLY
    if event.data.get("reason") == "survey":
        return Purpose.SURVEY
    return Purpose.AUTOMATIC


def on_message_created(event: events.DomainEvent) -> None:
    message: Message = event.message
    if message is None or not message.is_public or message.direction != Direction.OUTBOUND:
        return
    message_dispatch(message, purpose=_purpose(message, event), template=event.data.get("template"))


def on_ticket_created(event: events.DomainEvent) -> None:
    """A proactive ticket's first message, when an agent wrote it to the customer (public),
    leaves like a reply (ticket.created carries it; there is no message.created for it)."""
    message: Message | None = event.message
    if message is None or not message.is_public or message.direction != Direction.OUTBOUND:
        return
    if message.author_user_id is None:
        return
    message_dispatch(message, purpose=Purpose.REPLY)


def message_dispatch(
    message: Message, *, purpose: str, template: dict | None = None
) -> OutboxMessage:
    """Hand one public outbound message to the outbox (in the caller's transaction). Free
    text past the route's reply window (WhatsApp's 24 h) is recorded undeliverable: only a
    `template` (the reply service's spec) may go then."""
    ticket = message.ticket
    route = routing.reply_route(ticket)
    if route is None:
        return outbox_record_undeliverable(
            purpose=purpose, reason=routing.undeliverable_reason(ticket), message=message
        )
    if route.window_closed and not template:
        return outbox_record_undeliverable(
            purpose=purpose, reason=routing.window_closed_reason(route), message=message
        )
    if message.channel != route.kind:
        Message.objects.filter(pk=message.pk).update(channel=route.kind)
        message.channel = route.kind
    if route.transport == routing.EMAIL_TRANSPORT:
        return _queue_email(message, route, purpose)
    return _queue_conversation(message, route, purpose, template)


def _references(message: Message) -> tuple[str, list[str]]:
    """In-Reply-To: the customer's latest email; References: the thread's Message-IDs."""
    earlier = list(
        Message.objects.filter(ticket=message.ticket, pk__lt=message.pk)
        .exclude(external_id="")
        .order_by("id")
        .values_list("direction", "external_id")
    )
    inbound = [mid for direction, mid in earlier if direction == Direction.INBOUND]
    in_reply_to = inbound[-1] if inbound else (earlier[-1][1] if earlier else "")
    references = [mid for _, mid in earlier][-20:]
    return in_reply_to, references


def mailbox_sender(channel) -> str:
    if channel is not None and channel.address:
        return formataddr((channel.settings.get("from_name", ""), channel.address))
    return settings.DEFAULT_FROM_EMAIL


def mailbox_domain(channel) -> str | None:
    return channel.address.rsplit("@", 1)[-1] if channel and channel.address else None


def reply_email(message: Message, mailbox, *, idstring: str = "") -> tuple[str, dict]:
    """(Message-ID, email envelope) of `message` as a reply from `mailbox` (a Channel or
    None): "Re: subject [#id]", threaded on the ticket's earlier Message-IDs, the files, and
    Auto-Submitted for a message nobody wrote. Also what the chat transport mails an offline
    visitor (with its own `idstring`, so the two Message-IDs differ)."""
    ticket = message.ticket
    message_id = email_transport.message_id(
        domain=mailbox_domain(mailbox), idstring=idstring or f"t{ticket.pk}.m{message.pk}"
    )
    subject = (
        ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    )
    in_reply_to, references = _references(message)
    headers = {}
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        headers["References"] = " ".join(f"<{mid}>" for mid in references)
    if message.author_user_id is None:
        headers["Auto-Submitted"] = "auto-replied"  # our automatic messages must not loop
    payload = email_transport.envelope(
        sender=mailbox_sender(mailbox),
        subject=f"{subject} [#{ticket.pk}]",
        body=message.body_text,
        html=message.body_html,
        message_id=message_id,
        headers=headers,
        attachments=[
            {"name": a.file.name, "filename": a.filename, "content_type": a.content_type}
            for a in message.attachments.all()
        ],
    )
    return message_id, payload


def _queue_email(message: Message, route: routing.Route, purpose: str) -> OutboxMessage:
    ticket = message.ticket
    message_id, payload = reply_email(message, route.channel)
    Message.objects.filter(pk=message.pk).update(external_id=message_id)
    message.external_id = message_id
    if route.channel is not None:
        thread_remember(route.channel, message_id, ticket)
    return outbox_enqueue(
        transport=routing.EMAIL_TRANSPORT,
        purpose=purpose,
        recipient=route.recipient,
        payload=payload,
        channel=route.kind,
        message=message,
        provider_id=message_id,
    )


def conversation_payload(message: Message, thread) -> dict:
    """What a chat/social provider gets for one reply (the `channel.reply` webhook body)."""
    channel = thread.channel
    last_inbound = (
        Message.objects.filter(ticket=message.ticket, direction=Direction.INBOUND)
        .exclude(external_id="")
        .order_by("-id")
        .values_list("external_id", flat=True)
        .first()
    ) or ""
    return {
        "event": "channel.reply",
        "channel": {"id": channel.pk, "kind": channel.kind, "name": channel.name},
        "platform": channel.settings.get("platform", ""),
        "account": channel.settings.get("account", ""),
        "widget_id": channel.settings.get("widget_id", ""),
        "conversation_id": routing.conversation_id(thread),
        # Social: the post or message being answered, and whether the thread is public.
        "reply_to_message_id": last_inbound.split(":", 1)[-1],
        "public": message.ticket.tags.filter(name="public-post").exists(),
        "ticket_id": message.ticket_id,
        "message": {
            "id": message.pk,
            "text": message.body_text,
            "html": message.body_html,
            "author": message.author_user.display_name if message.author_user else "",
            "created_at": message.created_at.isoformat(),
        },
    }


def sms_thread_open(thread, ticket) -> None:
    """A conversation for a message going out by SMS to a number without one (the fallback
    route): saved for `ticket`, so the customer's answer from that number lands on it. One
    left open by a closed ticket ends first (as the customer's next message would end it);
    a conversation opened meanwhile by someone else is used as it is."""
    now = timezone.now()
    open_threads = ChannelThread.objects.filter(
        channel=thread.channel, key=thread.key, ended_at=None
    )
    open_threads.filter(ticket__status=Status.CLOSED).update(ended_at=now)
    saved, _ = ChannelThread.objects.get_or_create(
        channel=thread.channel,
        key=thread.key,
        ended_at=None,
        defaults={"ticket": ticket, "last_message_at": now},
    )
    thread.pk, thread.ticket, thread.last_message_at = saved.pk, saved.ticket, saved.last_message_at


def _queue_conversation(
    message: Message, route: routing.Route, purpose: str, template: dict | None = None
) -> OutboxMessage:
    try:
        build = registry.adapter(route.kind).reply_envelope or conversation_payload
    except KeyError:
        build = conversation_payload
    if route.thread is not None and route.thread.pk is None:
        sms_thread_open(route.thread, message.ticket)
    body = (
        build(message, route.thread, template=template)
        if template
        else build(message, route.thread)
    )
    channel = route.channel
    if route.transport == "webhook":
        return delivery_create(
            url=channel.settings["webhook_url"],
            secret=channel.settings.get("webhook_secret", ""),
            event="channel.reply",
            payload=body,
            source=f"channel:{channel.pk}",
            purpose=purpose,
            channel=route.kind,
            message=message,
        )
    return outbox_enqueue(
        transport=route.transport,
        purpose=purpose,
        recipient=route.recipient,
        payload=body,
        channel=route.kind,
        message=message,
        source=f"channel:{channel.pk}",
    )


def on_delivery_outcome(row: OutboxMessage) -> None:
    """Outbox listener: a public message that finally failed is announced
    (message.delivery_failed: webhook subscribers, the desk's failed mark reads the row)."""
    if row.state != State.FAILED or row.message_id is None:
        return
    message = Message.objects.select_related("ticket").get(pk=row.message_id)
    events.publish(
        events.MESSAGE_DELIVERY_FAILED,
        ticket=message.ticket,
        message=message,
        data={
            "delivery": row.pk,
            "channel": row.channel,
            "recipient": row.recipient,
            "attempts": row.attempts,
            "error": row.error,
        },
    )
