"""What a widget visitor does: identify (pre-chat), write, send a file, type, ask for the
transcript. Visitor messages go through the channels' one intake (intake_store, then the chat
adapter's process, run at once so the answer can name the conversation), so dedupe, threading
and everything that listens to a new message stay one pipeline with the chat API door."""

from __future__ import annotations

import logging
import secrets

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from live import groups
from live.publish import publish
from outbox import email as email_transport
from outbox.models import OutboxMessage, Purpose
from outbox.services import outbox_enqueue
from tickets.attachments import AttachmentInput, validate_attachment
from tickets.channels import registry
from tickets.channels.chat import attachment_ref, attachment_unsign
from tickets.channels.intake import intake_store
from tickets.channels.models import Channel, InboundMessage, InboundState
from tickets.channels.outbound import mailbox_domain, mailbox_sender
from tickets.channels.processing import intake_process
from tickets.channels.routing import support_mailbox
from tickets.models import ChannelKind, Message

from . import selectors
from .tokens import BadToken, Visitor

logger = logging.getLogger(__name__)


def visitor_channel(visitor: Visitor) -> Channel:
    channel = selectors.chat_channel(visitor.channel_id)
    if channel is None:
        raise BadToken("The chat of this visitor token is closed.")
    return channel


def visitor_identify(*, visitor: Visitor, name: str = "", email: str = "") -> Visitor:
    """The pre-chat form's answers on the visitor (their next messages carry them)."""
    name, email = (name or "").strip(), (email or "").strip().lower()
    if len(name) > 200:
        raise ValidationError({"name": [_("At most 200 characters.")]})
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": [_("Enter a valid email address.")]}) from exc
    return visitor.with_changes(name=name or visitor.name, email=email or visitor.email)


def _check_may_write(channel: Channel, visitor: Visitor) -> None:
    """The pre-chat fields the channel requires, and an email when nobody can answer now
    (the answer then goes by email)."""
    prechat = selectors.widget_config(channel)["prechat"]
    errors: dict[str, list[str]] = {}
    if prechat["name"] == "required" and not visitor.name:
        errors["name"] = [_("Tell us your name first.")]
    if prechat["email"] == "required" and not visitor.email:
        errors["email"] = [_("Tell us your email address first.")]
    elif not visitor.email and not selectors.agents_available(channel):
        errors["email"] = [
            _("No agent is available right now: leave your email address and we answer by email.")
        ]
    if errors:
        raise ValidationError(errors, code="details_required")


def _payload(visitor: Visitor, channel: Channel, text: str, client_id: str, files: list[str]):
    person = {"id": visitor.visitor_id, "name": visitor.name}
    if visitor.email:
        person["email"] = visitor.email
    payload = {
        "channel": str(channel.pk),
        "conversation_id": visitor.conversation_id,
        "visitor": person,
        "text": text,
    }
    if client_id:
        payload["message_id"] = client_id[:100]
    if files:
        payload["attachments"] = files
    return payload


def visitor_message_send(
    *, visitor: Visitor, text: str, client_id: str = "", attachments: list[str] | None = None
) -> tuple[Visitor, Message | None]:
    """Store the visitor's message as the chat door would, then process it now. Returns the
    visitor (with the conversation's thread) and the message; None when processing hit a
    transient error (the row is stored and retried by the worker, nothing is lost).
    `client_id` is the frame's id for the message: a resent request is a duplicate."""
    channel = visitor_channel(visitor)
    _check_may_write(channel, visitor)
    adapter = registry.adapter(ChannelKind.CHAT)
    payload = _payload(visitor, channel, text, client_id, attachments or [])
    serializer = adapter.payload_serializer(data=payload)
    serializer.is_valid(raise_exception=True)
    row, _created = intake_store(
        channel=channel, dedupe_key=adapter.dedupe_key(serializer.validated_data), raw_json=payload
    )
    try:
        row = intake_process(row.pk)
    except Exception:  # transient: recorded on the row, the queued task retries it
        logger.warning("widget message %s not processed yet", row.pk, exc_info=True)
        return visitor, None
    if row.state == InboundState.FAILED:
        raise ValidationError({"text": [row.error]}, code="refused")
    thread = selectors.open_thread_of(visitor)
    if thread is not None:
        visitor = visitor.with_changes(thread_id=thread.pk)
    message = _stored_message(row)
    if message is not None and thread is not None:
        # The visitor's other tabs show it too (each drops an id it already has).
        publish(groups.visitor(thread.pk), {"type": "message", "message": _json(message)})
    return visitor, message


def _stored_message(row: InboundMessage) -> Message | None:
    if row.message_id is None:
        return None
    return (
        Message.objects.select_related("author_customer", "author_user")
        .prefetch_related("attachments")
        .filter(pk=row.message_id)
        .first()
    )


def _json(message: Message) -> dict:
    return selectors.message_json(message)


def visitor_file_send(
    *, visitor: Visitor, upload: UploadedFile, text: str = "", client_id: str = ""
) -> tuple[Visitor, Message | None]:
    """A file from the visitor, within the tickets' attachment limits (size, types), as a
    message of the conversation. The upload is kept in storage only until the message holds
    its copy (or, if processing must be retried, until then)."""
    _check_may_write(visitor_channel(visitor), visitor)
    item = validate_attachment(
        AttachmentInput(upload.name or "file", upload, upload.content_type or ""), field="file"
    )
    name = default_storage.save(
        f"chat-uploads/{visitor.channel_id}/{secrets.token_hex(8)}/{item.filename}", item.content
    )
    ref = attachment_ref(name=name, filename=item.filename, content_type=item.content_type)
    visitor, message = visitor_message_send(
        visitor=visitor, text=text or item.filename, client_id=client_id, attachments=[ref]
    )
    if message is not None:
        default_storage.delete(attachment_unsign(ref)["name"])
    return visitor, message


def visitor_typing(*, visitor: Visitor) -> bool:
    """Tell the agents on the ticket that the visitor is typing (desk sockets of the ticket's
    group). False when the visitor has no conversation yet or the layer refused it."""
    thread = selectors.visitor_thread(visitor)
    if thread is None:
        return False
    ticket_id = selectors.merge_target_of(thread.ticket).pk
    event = {"type": "typing", "from": "visitor", "ticket": ticket_id}
    return publish(groups.ticket(ticket_id), event)


def _transcript_text(visitor: Visitor, messages) -> str:
    lines = []
    for message in messages:
        item = selectors.message_json(message)
        who = item["name"] or (_("You") if item["author"] == "visitor" else _("Support"))
        when = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
        files = "".join(f"\n  [{a['filename']}]" for a in item["attachments"])
        lines.append(f"[{when}] {who}:\n{item['body']}{files}\n")
    return "\n".join(lines)


def transcript_send(*, visitor: Visitor, email: str = "") -> OutboxMessage:
    """Queue the conversation so far as an email to the visitor (an outbox row: it counts as
    sent once the mail server took it)."""
    address = (email or visitor.email).strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError({"email": [_("Enter a valid email address.")]}) from exc
    thread = selectors.visitor_thread(visitor)
    messages = list(selectors.conversation(thread))
    if not messages:
        raise ValidationError({"conversation": [_("There is nothing to send yet.")]})
    ticket = thread.ticket
    mailbox = support_mailbox(ticket.requester, ticket)
    payload = email_transport.envelope(
        sender=mailbox_sender(mailbox),
        subject=_("Your chat with %(name)s [#%(id)s]")
        % {"name": thread.channel.name, "id": ticket.pk},
        body=_transcript_text(visitor, messages),
        message_id=email_transport.message_id(
            domain=mailbox_domain(mailbox), idstring=f"chat{thread.pk}.transcript"
        ),
        headers={"Auto-Submitted": "auto-generated"},
    )
    return outbox_enqueue(
        transport="email",
        purpose=Purpose.AUTOMATIC,
        recipient=address,
        payload=payload,
        channel=ChannelKind.EMAIL,
        source=f"chat-transcript:{thread.pk}",
    )
