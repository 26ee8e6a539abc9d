"""Email: parse an RFC 822 message (stdlib `email`, policy.default) into what a ticket needs.

Parsing keeps: the visible text (quoted history trimmed), sanitized HTML, attachments and
inline images (with their Content-ID), Message-ID / In-Reply-To / References for threading,
and whether the message is automatic (auto-reply, bounce, bulk) so it never opens a ticket.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError

from core.text import sanitize_html
from customers.identities import normalize_email

from ...attachments import AttachmentInput
from .mime import WithheldPart, extract
from .reports import RecipientStatus, classify, delivery_statuses, returned_message_ids

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


class _CachedHeaders(EmailPolicy):
    """policy.default, with each parsed header kept for reuse: the stdlib parses a header
    again on every `msg[name]` (Content-Type is read a dozen times per message while walking
    its parts), and the same values (senders, content types) recur across messages. Header
    objects are immutable (str subclasses); a malformed one still raises every time."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        if len(value) > _CACHED_UP_TO:  # a long References chain: parsed, not kept
            return self.header_factory(name, "".join(_LINESEP.split(value)))
        return _parsed_header(self.header_factory, name, value)


@functools.lru_cache(maxsize=4096)
def _parsed_header(factory, name: str, value: str):
    return factory(name, "".join(_LINESEP.split(value)))


_CACHED_UP_TO = 998  # RFC 5322's line length: 4,096 of them stay well under 4 MiB


_LINESEP = re.compile(r"\n|\r")  # what EmailPolicy.header_fetch_parse unfolds
POLICY = _CachedHeaders()


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
    withheld: list[WithheldPart] = field(default_factory=list)
    auto_reason: str = ""
    auto_class: str = ""
    delivery_statuses: list[RecipientStatus] = field(default_factory=list)
    returned_message_ids: list[str] = field(default_factory=list)  # what a bounce returns
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
    message_id = _scanned_message_id(raw)
    if message_id is None:
        headers = BytesParser(policy=POLICY).parsebytes(raw, headersonly=True)
        message_id = _header(headers, "Message-ID")
    message_id = normalize_message_id(message_id)
    return message_id[:490] or "sha256:" + hashlib.sha256(raw).hexdigest()


_LINE_END = re.compile(rb"\r\n|\r|\n")  # what the stdlib's feedparser splits lines at
_FIELD_START = re.compile(rb"[\041-\071\073-\176]+:")  # a field name and its colon


def _scanned_message_id(raw: bytes) -> str | None:
    """The Message-ID header's value as `_header` reads it from the parsed headers, found by
    scanning the header lines (the door's dedupe key, before any parse: the stdlib parser
    reads every line of the body too, even for the headers alone); "" when the header block
    has none; None, for the parser to decide, whenever the block is not plain (`_fields`),
    there are two Message-ID fields, or the value is one `_plain_value` would refuse.
    tests/tickets/channels/test_dedupe_scan.py holds the two readings equal."""
    fields = _fields(raw)
    if fields is None:
        return None
    found = [lines for name, lines in fields if name.lower() == b"message-id"]
    if not found:
        return ""
    if len(found) > 1:
        return None
    value = b"".join(found[0]).lstrip(b" \t").rstrip(b"\r\n")
    if not value.isascii():
        return None
    text = "".join(_LINESEP.split(value.decode("ascii"))).strip()
    if "=?" in text or not _ID_LIST.fullmatch(text):
        return None
    return text


def _fields(raw: bytes) -> list[tuple[bytes, list[bytes]]] | None:
    """The header block's fields: (name, [the value after the colon, each continuation
    line], each with its line end), up to the blank line; None when a line is neither a
    field nor a folded continuation of one (a Unix From line, no blank line before the
    body, a last line without its end): the stdlib parser's reading of those decides."""
    fields: list[tuple[bytes, list[bytes]]] = []
    position = 0
    for end in _LINE_END.finditer(raw):
        line = raw[position : end.start()]
        position = end.end()
        if not line:
            return fields  # the blank line: the body follows
        if line[:1] in (b" ", b"\t"):
            if not fields:
                return None  # a continuation of nothing
            fields[-1][1].append(line + end.group())
            continue
        start = _FIELD_START.match(line)
        if start is None:
            return None
        fields.append((line[: start.end() - 1], [line[start.end() :] + end.group()]))
    return fields if position == len(raw) else None


# Headers read as plain text (ids, tokens, the subject): their raw value, unfolded, is the
# text the policy's parse gives back whenever it is ASCII without an RFC 2047 encoded word,
# and reading it costs nothing, where the policy builds a parse tree per value (most values,
# Message-IDs and subjects, are new in every email: no cache helps).
_PLAIN_HEADERS = frozenset(
    {
        "message-id",
        "in-reply-to",
        "references",
        "subject",
        "auto-submitted",
        "x-autoreply",
        "x-autorespond",
        "x-autoresponder",
        "x-auto-response-suppress",
        "precedence",
        "x-failed-recipients",
        "return-path",
        "content-language",
        "accept-language",
    }
)


_ID_HEADERS = frozenset({"message-id", "in-reply-to", "references"})
_ID_LIST = re.compile(r"(<[^<>\s]+>\s*)*")


def _plain_value(msg: EmailMessage, name: str) -> str | None:
    """A plain-text header's first value as the policy would give it: its raw value unfolded,
    "" when absent; None when only the policy can tell (non-ASCII, encoded words)."""
    lowered = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lowered:
            if not isinstance(value, str) or "=?" in value or not value.isascii():
                return None
            value = "".join(_LINESEP.split(value)).strip()
            # An id header that is not a plain list of <id>: the policy's reading of it is
            # what the dedupe keys of stored rows were made with.
            if lowered in _ID_HEADERS and not _ID_LIST.fullmatch(value):
                return None
            return value
    return ""


def _header(msg: EmailMessage, name: str) -> str:
    if name.lower() in _PLAIN_HEADERS:
        plain = _plain_value(msg, name)
        if plain is not None:
            return plain
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):
        # A value the policy's parser cannot take at all (`Message-ID: <>` raises IndexError
        # in CPython's parser, every time it is read): its raw text, unfolded.
        value = "".join(_LINESEP.split(str(_raw_value(msg, name))))
    value = str(value or "").strip()
    if "\ufffd" in value:
        value = _rejoined_encoded_words(msg, name) or value
    return value


def _raw_value(msg: EmailMessage, name: str) -> str:
    """The first `name` field's value as written (folded), "" when there is none."""
    return next((v for k, v in msg.raw_items() if k.lower() == name.lower()), "")


def _rejoined_encoded_words(msg: EmailMessage, name: str) -> str:
    """An RFC 2047 header whose encoded words split a character between them (the address
    parser decodes each word alone): decode the raw value with adjacent words joined."""
    raw = _raw_value(msg, name)
    try:
        decoded = str(make_header(decode_header(re.sub(r"\r?\n[ \t]", " ", str(raw)))))
    except (LookupError, UnicodeError, ValueError, HeaderParseError):
        return ""
    return decoded.strip() if "\ufffd" not in decoded else ""


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


def _null_sender(header: str) -> bool:
    """`<>` (the null reverse-path of RFC 5321) or a bare MAILER-DAEMON: a bounce's sender."""
    if header.replace(" ", "").endswith("<>"):
        return True
    display, addr = parseaddr(header)
    return (addr or display).strip().lower() in ("mailer-daemon", "postmaster")


def _usable(address: str) -> bool:
    try:
        normalize_email(address)
    except ValidationError:
        return False
    return True


def _sender(msg: EmailMessage) -> tuple[str, str, bool]:
    """(name, address, has_sender): the first of From, Sender, Return-Path with an address a
    customer can have (a From our customer rules refuse, e.g. an internationalized local
    part, falls back to the envelope sender). A null sender (`<>`, what bounces use) or a
    delivery report counts as a sender."""
    name, found, refused = "", False, ""
    for header_name in ("From", "Sender", "Return-Path"):
        value = _header(msg, header_name)
        if not value:
            continue
        display, addr = parseaddr(value)
        name = name or display
        if "@" in addr:
            if _usable(addr):
                return name, addr, True
            refused = refused or addr
        found = found or _null_sender(value)
    if refused:  # processing fails with the customer rules' error, the raw email kept
        return name, refused, True
    return name, "", found or msg.get_content_type() == "multipart/report"


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw RFC 822 bytes. Raises NotAnEmail only when there is no email at all (no
    headers) or no sender at all (no From, Sender or Return-Path address, not even the null
    sender of a bounce, and not a delivery report). Any other email parses: parts that cannot
    be stored are withheld, text is recovered from broken structures."""
    if not raw or not raw.strip():
        raise NotAnEmail({"body": ["The email is empty."]}, code="empty")
    msg = BytesParser(policy=POLICY).parsebytes(raw)
    if not msg.keys():
        raise NotAnEmail({"body": ["Not an RFC 822 email (no headers)."]}, code="not_email")
    from_name, from_address, has_sender = _sender(msg)
    if not has_sender:
        raise NotAnEmail(
            {"body": ["The email has no sender (no From, Sender or Return-Path address)."]},
            code="not_email",
        )
    subject = re.sub(r"\s+", " ", _header(msg, "Subject")).strip()
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
    content = extract(msg, raw=raw)
    reason = auto_reason(msg, from_address.lower(), subject)
    if not reason and (not from_address or _null_sender(_header(msg, "From"))):
        reason = "bounce (null sender)"
    statuses = delivery_statuses(msg) if reason else []
    in_reply_to = message_ids(_header(msg, "In-Reply-To"))
    references = message_ids(_header(msg, "References"))
    # Only a reply has history to trim; a forwarded email's quoted part is its content.
    is_reply = bool(in_reply_to or references) or bool(_REPLY_SUBJECT.match(subject))
    # Only the message's own text is trimmed: a forward's "From: ... Date:" is its content.
    own_text = trim_quoted_text(content.text) if is_reply else content.text.strip()
    own_html = trim_quoted_html(content.html) if is_reply else content.html
    text, html = content.with_forwards(own_text, own_html)
    return ParsedEmail(
        message_id=normalize_message_id(_header(msg, "Message-ID")),
        subject=subject,
        from_address=from_address.lower(),
        from_name=from_name,
        recipients=recipients,
        in_reply_to=in_reply_to,
        references=references,
        text=text,
        html=sanitize_html(html),
        attachments=[] if reason else content.attachments,
        withheld=[] if reason else content.withheld,
        auto_reason=reason,
        auto_class=classify(msg, reason, statuses),
        delivery_statuses=statuses,
        returned_message_ids=returned_message_ids(msg) if statuses else [],
        content_language=_header(msg, "Content-Language") or _header(msg, "Accept-Language"),
    )
