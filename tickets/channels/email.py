"""Email: parse an RFC 822 message (stdlib `email`, policy.default) into what a ticket needs,
and turn a stored raw email into a ticket or a message on its thread.

Parsing keeps: the visible text (quoted history trimmed), sanitized HTML, attachments and
inline images (with their Content-ID), Message-ID / In-Reply-To / References for threading,
and whether the message is automatic (auto-reply, bounce, bulk) so it never opens a ticket.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from customers.services import IdentityInput, customer_locale_guess, customer_resolve
from helpdesk.text import sanitize_html

from ..attachments import AttachmentInput
from ..models import ChannelKind, Message, Ticket
from .models import Channel, InboundMessage

_ID = re.compile(r"<([^<>\s]+)>")
_TOKEN = re.compile(r"\[#(\d+)\]")
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheitsnotiz|"
    r"undeliver(able|ed)|delivery status notification|mail delivery (failed|subsystem)|"
    r"returned mail|r[ée]ponse automatique)\b",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")
_REPLY_SUBJECT = re.compile(r"^\s*(re|aw|sv|vs|antw|odp|r|rif|res)\s*:", re.IGNORECASE)


class NotAnEmail(ValidationError):
    """The payload is not an RFC 822 message we can work with."""


@dataclass
class ParsedEmail:
    message_id: str
    subject: str
    from_address: str
    from_name: str
    recipients: list[str]
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str
    attachments: list[AttachmentInput] = field(default_factory=list)
    auto_reason: str = ""
    # The sender's declared language: Content-Language, else Exchange's Accept-Language.
    content_language: str = ""

    @property
    def thread_keys(self) -> list[str]:
        """Message-IDs this one answers, most recent first."""
        keys = [*self.in_reply_to, *reversed(self.references)]
        return list(dict.fromkeys(keys))

    @property
    def ticket_token(self) -> int | None:
        match = _TOKEN.search(self.subject)
        return int(match.group(1)) if match else None


def message_ids(value: str | None) -> list[str]:
    return _ID.findall(str(value or ""))


def normalize_message_id(value: str | None) -> str:
    found = message_ids(value)
    return found[0] if found else str(value or "").strip().strip("<>")


def dedupe_key(raw: bytes) -> str:
    """The Message-ID (what makes two deliveries the same email), else the content hash."""
    headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    message_id = normalize_message_id(_header(headers, "Message-ID"))
    return message_id[:490] or "sha256:" + hashlib.sha256(raw).hexdigest()


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # malformed header the policy cannot fold
        value = msg.get_all(name, [""])[0] if hasattr(msg, "get_all") else ""
    return str(value or "").strip()


def _text_of(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        # Unknown or lying charset: keep what can be read rather than failing the message.
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def auto_reason(msg: EmailMessage, from_address: str, subject: str) -> str:
    """Why this email is automatic (and must not open a ticket or be answered), or ""."""
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"auto-submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if _header(msg, name):
            return f"{name.lower()} header"
    if _header(msg, "X-Auto-Response-Suppress").lower() in ("all", "oof", "autoreply"):
        return "x-auto-response-suppress header"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence: {precedence}"
    if msg.get_content_type() == "multipart/report" or _header(msg, "X-Failed-Recipients"):
        return "delivery status notification (bounce)"
    if from_address.startswith(_BOUNCE_SENDERS) or _header(msg, "Return-Path") == "<>":
        return "bounce (null sender or mailer-daemon)"
    if _AUTO_SUBJECT.match(subject):
        return "auto-reply subject"
    return ""


_TEXT_QUOTE_STARTS = [
    re.compile(r"^On .{0,200}(\n.{0,200})?wrote:\s*$", re.MULTILINE),
    re.compile(r"^Am .{0,200}schrieb .{0,200}:\s*$", re.MULTILINE),
    re.compile(r"^Le .{0,200}a écrit\s*:\s*$", re.MULTILINE),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^_{10,}\s*$", re.MULTILINE),
    re.compile(r"^From: .+\n(Sent|Date): .+", re.MULTILINE),
]
_HTML_QUOTE_STARTS = re.compile(
    r"<div[^>]+class=\"?gmail_quote|<blockquote[^>]+type=\"?cite|<div[^>]+id=\"?appendonsend|"
    r"<div[^>]+id=\"?divRplyFwdMsg|<hr[^>]+id=\"?stopSpelling|<div[^>]+class=\"?moz-cite-prefix|"
    r"<div[^>]+class=\"?yahoo_quoted",
    re.IGNORECASE,
)


def trim_quoted_text(text: str) -> str:
    """The new part of a reply: cut at the first "On ... wrote:" (or similar) and drop a
    trailing block of "> " lines. Never trims a message to nothing."""
    text = text.replace("\r\n", "\n")
    cut = len(text)
    for pattern in _TEXT_QUOTE_STARTS:
        match = pattern.search(text)
        if match and match.start() < cut:
            cut = match.start()
    trimmed = text[:cut]
    lines = trimmed.rstrip().split("\n")
    while lines and lines[-1].lstrip().startswith(">"):
        lines.pop()
    trimmed = "\n".join(lines).strip()
    return trimmed or text.strip()


def trim_quoted_html(html: str) -> str:
    match = _HTML_QUOTE_STARTS.search(html)
    if not match or not html[: match.start()].strip():
        return html
    return html[: match.start()]  # nh3 closes what the cut left open


def _attachment(part: EmailMessage, index: int) -> AttachmentInput:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) else inner
        data = inner.as_bytes(policy=policy.SMTP) if hasattr(inner, "as_bytes") else b""
        filename = part.get_filename() or f"message-{index}.eml"
    else:
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename() or f"part-{index}"
    content_id = normalize_message_id(_header(part, "Content-ID"))
    return AttachmentInput(filename, ContentFile(data, name=filename), content_type, content_id)


def _collect_attachments(msg: EmailMessage, bodies: set[int]) -> list[AttachmentInput]:
    found: list[AttachmentInput] = []

    def walk(part: EmailMessage) -> None:
        if id(part) in bodies:
            return
        if part.get_content_maintype() == "multipart":
            for sub in part.iter_parts():
                walk(sub)
            return
        disposition = part.get_content_disposition()
        is_text_body = part.get_content_maintype() == "text" and part.get_content_subtype() in (
            "plain",
            "html",
        )
        if is_text_body and disposition != "attachment" and not part.get_filename():
            return  # an alternative body we did not pick, not a file
        found.append(_attachment(part, len(found) + 1))

    walk(msg)
    return found


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw RFC 822 bytes. Raises NotAnEmail when there is no sender or no content."""
    if not raw or not raw.strip():
        raise NotAnEmail({"body": ["The email is empty."]}, code="empty")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not msg.keys() or (msg.defects and not msg.get("From")):
        raise NotAnEmail({"body": ["Not an RFC 822 email (no headers)."]}, code="not_email")
    from_header = _header(msg, "From")
    from_name, from_address = parseaddr(from_header)
    if "@" not in from_address:
        raise NotAnEmail({"body": ["The email has no valid From address."]}, code="not_email")
    subject = re.sub(r"\s+", " ", _header(msg, "Subject"))
    recipients = [
        addr.lower()
        for _, addr in getaddresses(
            [
                _header(msg, name)
                for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
            ]
        )
        if "@" in addr
    ]
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    text = _text_of(text_part) if text_part is not None else ""
    html = _text_of(html_part) if html_part is not None else ""
    plain_single_part = not msg.is_multipart() and msg.get_content_maintype() == "text"
    if text_part is None and html_part is None and plain_single_part:
        text = _text_of(msg)
    bodies = {id(p) for p in (text_part, html_part) if p is not None}
    reason = auto_reason(msg, from_address.lower(), subject)
    attachments = [] if reason else _collect_attachments(msg, bodies)
    in_reply_to = message_ids(_header(msg, "In-Reply-To"))
    references = message_ids(_header(msg, "References"))
    # Only a reply has history to trim; a forwarded email's quoted part is its content.
    is_reply = bool(in_reply_to or references) or bool(_REPLY_SUBJECT.match(subject))
    return ParsedEmail(
        message_id=normalize_message_id(_header(msg, "Message-ID")),
        subject=subject,
        from_address=from_address.lower(),
        from_name=from_name,
        recipients=recipients,
        in_reply_to=in_reply_to,
        references=references,
        text=trim_quoted_text(text) if is_reply else text.strip(),
        html=sanitize_html(trim_quoted_html(html) if is_reply else html),
        attachments=attachments,
        auto_reason=reason,
        content_language=_header(msg, "Content-Language") or _header(msg, "Accept-Language"),
    )


def channel_for_recipients(recipients: list[str]) -> Channel | None:
    """The active email channel whose mailbox the email was sent to."""
    if not recipients:
        return None
    return (
        Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True, address__in=recipients)
        .order_by("id")
        .first()
    )


def process(inbound: InboundMessage):
    """Raw email -> customer -> thread -> new ticket or message. Auto-replies are ignored."""
    from . import email_threading
    from .intake import Ignored, Outcome, append_message, integration_of, open_ticket

    parsed = parse_email(bytes(inbound.raw_bytes))
    if parsed.auto_reason:
        raise Ignored(parsed.auto_reason)
    channel = inbound.channel
    if channel.address and parsed.from_address == channel.address:
        raise Ignored("sent by our own mailbox (loop)")
    customer = customer_resolve(
        source_integration=integration_of(inbound),
        identities=[IdentityInput("email", parsed.from_address)],
        name=parsed.from_name[:200],
    )
    # Before the ticket exists, so its automatic answers already speak the customer's language.
    customer_locale_guess(customer=customer, header=parsed.content_language)
    message_id = parsed.message_id or inbound.dedupe_key
    ticket: Ticket | None = email_threading.find_ticket(channel, parsed, customer)
    message: Message | None = None
    if ticket is not None:
        message = append_message(
            ticket,
            customer=customer,
            body=parsed.text,
            html_body=parsed.html,
            channel=ChannelKind.EMAIL,
            external_id=message_id,
            attachments=parsed.attachments,
        )
    if message is None:
        ticket, message = open_ticket(
            channel,
            requester=customer,
            subject=parsed.subject or "(no subject)",
            body=parsed.text,
            html_body=parsed.html,
            external_id=message_id,
            attachments=parsed.attachments,
            submitted_by=inbound.submitted_by,
        )
    email_threading.remember(channel, message_id, ticket)
    return Outcome(ticket, message)
