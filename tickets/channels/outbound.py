"""Agents' public replies go back out on the channel the customer used.

`on_message_created` (subscribed to message.created) only writes rows, in the reply's
transaction: an OutboundEmail for email tickets, a WebhookDelivery for chat and social
tickets. Celery sends them after commit; sweeps pick up anything whose message was lost.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from core import events
from core.queueing import enqueue_on_commit
from customers.models import IdentityKind
from webhooks.services import delivery_create

from ..models import ChannelKind, Direction, Message
from . import email_threading
from .models import Channel, ChannelThread, OutboundEmail, OutboundState


class PermanentSendError(Exception):
    """The email cannot be sent however often we try (no address, recipient refused)."""


def _thread_channel(ticket, kinds) -> Channel | None:
    thread = (
        ChannelThread.objects.select_related("channel")
        .filter(ticket=ticket, channel__kind__in=kinds)
        .order_by("-last_message_at", "-id")
        .first()
    )
    return thread.channel if thread else None


def _email_channel(ticket) -> Channel | None:
    return (
        _thread_channel(ticket, [ChannelKind.EMAIL])
        or Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True).order_by("id").first()
    )


def on_message_created(event: events.DomainEvent) -> None:
    message: Message = event.message
    if message is None or not message.is_public or message.direction != Direction.OUTBOUND:
        return
    ticket = event.ticket
    if ticket.channel == ChannelKind.EMAIL:
        outbound_email_queue(message)
    elif ticket.channel in (ChannelKind.CHAT, ChannelKind.SOCIAL):
        _queue_webhook_reply(message)


def outbound_email_queue(message: Message) -> OutboundEmail:
    """Fix the reply's Message-ID now and remember it, so the customer's answer threads
    even before the send happened; send after commit."""
    channel = _email_channel(message.ticket)
    domain = channel.address.rsplit("@", 1)[-1] if channel and channel.address else None
    message_id = make_msgid(idstring=f"t{message.ticket_id}.m{message.pk}", domain=domain)
    outbound = OutboundEmail.objects.create(
        message=message, channel=channel, header_message_id=message_id.strip("<>")
    )
    Message.objects.filter(pk=message.pk).update(external_id=outbound.header_message_id)
    if channel is not None:
        email_threading.remember(channel, outbound.header_message_id, message.ticket)
    enqueue_on_commit("tickets.send_reply_email", outbound.pk)
    return outbound


def _queue_webhook_reply(message: Message) -> None:
    thread = (
        ChannelThread.objects.select_related("channel")
        .filter(ticket=message.ticket, channel__kind__in=[ChannelKind.CHAT, ChannelKind.SOCIAL])
        .order_by("-last_message_at", "-id")
        .first()
    )
    if thread is None or not thread.channel.settings.get("webhook_url"):
        return
    channel = thread.channel
    conversation = thread.key.split(":", 1)[1] if channel.kind == ChannelKind.SOCIAL else thread.key
    last_inbound = (
        Message.objects.filter(ticket=message.ticket, direction=Direction.INBOUND)
        .exclude(external_id="")
        .order_by("-id")
        .values_list("external_id", flat=True)
        .first()
    ) or ""
    delivery_create(
        url=channel.settings["webhook_url"],
        secret=channel.settings["webhook_secret"],
        event="channel.reply",
        source=f"channel:{channel.pk}",
        payload={
            "event": "channel.reply",
            "channel": {"id": channel.pk, "kind": channel.kind, "name": channel.name},
            "platform": channel.settings.get("platform", ""),
            "account": channel.settings.get("account", ""),
            "widget_id": channel.settings.get("widget_id", ""),
            "conversation_id": conversation,
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
        },
    )


def _references(message: Message, outbound: OutboundEmail) -> tuple[str, list[str]]:
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


def reply_recipient(customer) -> str:
    """The address a reply is mailed to: the customer's first email that has not hard-bounced.
    Raises PermanentSendError saying why when there is none (so the row records it)."""
    emails = [i for i in customer.identities.all() if i.kind == IdentityKind.EMAIL]
    if not emails:
        raise PermanentSendError(f"Customer #{customer.pk} has no email address.")
    for identity in emails:
        if identity.undeliverable_at is None:
            return identity.value
    bounced = emails[0]
    raise PermanentSendError(
        f"{bounced.value} is undeliverable since {bounced.undeliverable_at:%Y-%m-%d %H:%M} UTC "
        f"({bounced.undeliverable_reason or 'hard bounce'}); the reply was not mailed."
    )


def build_email(outbound: OutboundEmail) -> EmailMultiAlternatives:
    message = outbound.message
    ticket = message.ticket
    to = reply_recipient(ticket.requester)
    channel = outbound.channel
    sender = settings.DEFAULT_FROM_EMAIL
    if channel is not None and channel.address:
        sender = formataddr((channel.settings.get("from_name", ""), channel.address))
    subject = ticket.subject
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    subject = f"{subject} [#{ticket.pk}]"
    in_reply_to, references = _references(message, outbound)
    headers = {"Message-ID": f"<{outbound.header_message_id}>"}
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        headers["References"] = " ".join(f"<{mid}>" for mid in references)
    if message.author_user_id is None:
        headers["Auto-Submitted"] = "auto-replied"  # our automatic messages must not loop
    email = EmailMultiAlternatives(
        subject=subject, body=message.body_text, from_email=sender, to=[to], headers=headers
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def outbound_email_send(outbound: OutboundEmail) -> OutboundEmail:
    """Send one pending email (the row is locked by the caller). A transient error leaves the
    row pending with its error (the task then retries with backoff) until the retries are
    spent; a permanent one fails the row."""
    if outbound.state != OutboundState.PENDING:
        return outbound
    outbound.attempts += 1
    try:
        build_email(outbound).send()
    except (PermanentSendError, smtplib.SMTPRecipientsRefused) as exc:
        outbound.state, outbound.error = OutboundState.FAILED, f"{type(exc).__name__}: {exc}"
        outbound.save(update_fields=["state", "error", "attempts"])
        return outbound
    except (smtplib.SMTPException, OSError) as exc:
        outbound.error = f"{type(exc).__name__}: {exc}"
        if outbound.attempts >= settings.OUTBOUND_EMAIL_MAX_RETRIES:
            outbound.state = OutboundState.FAILED
        outbound.save(update_fields=["state", "error", "attempts"])
        return outbound
    outbound.state, outbound.error, outbound.sent_at = OutboundState.SENT, "", timezone.now()
    outbound.save(update_fields=["state", "error", "attempts", "sent_at"])
    return outbound


def outbound_email_send_by_id(outbound_id: int) -> OutboundEmail | None:
    """Lock and send one queued reply email; None if another worker holds it right now."""
    with transaction.atomic():
        row = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("message__ticket__requester", "channel")
            .filter(pk=outbound_id)
            .first()
        )
        return outbound_email_send(row) if row is not None else None


def outbound_emails_stuck(*, older_than: timedelta = timedelta(minutes=2)):
    """Pending reply emails whose queued task apparently never ran (for the sweep)."""
    cutoff = timezone.now() - older_than
    return OutboundEmail.objects.filter(
        state=OutboundState.PENDING, created_at__lt=cutoff
    ).order_by("created_at")
