"""The email channel's adapter: a stored raw email -> customer -> thread -> ticket or
message, the mailbox settings, and what a reply by email can carry."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import pgettext_lazy

from core.text import html_to_text
from customers.services import (
    IdentityInput,
    customer_locale_guess,
    customer_resolve,
)

from ...choices import ChannelKind
from ..intake import Ignored, Outcome, integration_of
from ..models import InboundMessage
from ..registry import Capabilities, ChannelAdapter
from ..threads import MessageContent, NewTicket, continue_or_open
from .parse import ParsedEmail, dedupe_key, parse_email
from .reports import ignore_automatic
from .ticket_match import find_ticket, mailbox_for, new_ticket_from_reply

NO_TEXT = "(no text)"
_IMAP_KEYS = {"host", "port", "username", "password", "ssl", "folder"}


def _content(parsed: ParsedEmail, message_id: str) -> MessageContent:
    if parsed.text.strip() or html_to_text(parsed.html).strip() or parsed.attachments:
        body = parsed.text
    else:
        body = NO_TEXT  # a subject-only email (or only withheld parts) is still a message
    return MessageContent(
        body=body,
        html_body=parsed.html,
        external_id=message_id,
        attachments=parsed.attachments,
        withheld_parts=[part.as_dict() for part in parsed.withheld],
    )


def process(inbound: InboundMessage) -> Outcome:
    """Raw email -> customer -> thread -> new ticket or message. Auto-replies are ignored.
    The email's Message-ID becomes a thread key of its ticket, so replies to it thread."""
    parsed = parse_email(bytes(inbound.raw_bytes))
    if parsed.auto_reason:
        raise ignore_automatic(parsed)
    channel = inbound.channel
    if channel.address and parsed.from_address == channel.address:
        raise Ignored("sent by our own mailbox (loop)", classification="loop")
    customer = customer_resolve(
        source_integration=integration_of(inbound),
        identities=[IdentityInput("email", parsed.from_address)],
        name=parsed.from_name[:200],
        clear_undeliverable=True,  # it writes, so it exists
    )
    # Before the ticket exists, so its automatic answers already speak the customer's language.
    customer_locale_guess(customer=customer, header=parsed.content_language)
    message_id = parsed.message_id or inbound.dedupe_key
    matched = find_ticket(channel, parsed, customer)
    outcome = continue_or_open(
        channel,
        customer=customer,
        content=_content(parsed, message_id),
        new_ticket=NewTicket(subject=parsed.subject or "(no subject)"),
        ticket=matched,
        thread_key=message_id,
        submitted_by=inbound.submitted_by,
        # The email's own Message-ID is the row's dedupe key: no thread can have it yet.
        key_is_new=message_id[:490] == inbound.dedupe_key,
    )
    if matched is None:  # an answer to mail no ticket knows (a follow-up) opened this one
        new_ticket_from_reply(outcome.ticket, parsed.thread_keys)
    return outcome


def clean_settings(values: dict, clean: dict, errors: dict) -> None:
    if values.get("address"):
        try:
            clean["address"] = str(values["address"]).strip().lower()
            validate_email(clean["address"])
        except ValidationError:
            errors["settings.address"] = ["Enter a valid email address."]
    if values.get("imap") is not None:
        imap = values["imap"]
        if not isinstance(imap, dict) or not imap.get("host") or not imap.get("username"):
            errors["settings.imap"] = ["IMAP settings need at least host and username."]
        elif set(imap) - _IMAP_KEYS:
            errors["settings.imap"] = [f"Unknown IMAP settings: {sorted(set(imap) - _IMAP_KEYS)}."]


def public_contact(channel) -> tuple[str, str] | None:
    address = channel.settings.get("address")
    return (address, f"mailto:{address}") if address else None


ADAPTER = ChannelAdapter(
    kind=ChannelKind.EMAIL,
    label=pgettext_lazy("channel in a sentence", "Email"),
    icon="mail",
    capabilities=Capabilities(replies=True, attachments=True, html=True),
    # The email door takes raw RFC 822 bytes, not JSON: no payload serializer; dedupe_key
    # takes the raw bytes, channel_for {"channel": id or name, "recipients": [...]}.
    dedupe_key=dedupe_key,
    channel_for=mailbox_for,
    process=process,
    settings_allowed=frozenset({"address", "from_name", "imap"}),
    settings_required=frozenset({"address"}),
    settings_clean=(clean_settings,),
    reply_transport="email",
    public_contact=public_contact,
)
