"""What a real-world MIME tree holds, whatever shape it arrived in: the text and HTML bodies,
the files we store, the parts we withhold (and why), forwarded messages, delivery reports.

The rule: an email is never refused because of one part. A part whose type or size the
attachment rules do not accept is withheld (recorded with its name, type, size and reason,
not stored as a file); signatures and external-body references are recognised as such. A
multipart whose boundary is missing or wrong is repaired (email_repair.py); text parts are
decoded whatever their charset (email_text.py). A forwarded message
(message/rfc822, multipart/digest) becomes a quoted forward with its files kept.
"""

from __future__ import annotations

import html as html_lib
import mimetypes
import re
from dataclasses import asdict, dataclass, field
from email import policy
from email.message import EmailMessage

from django.core.files.base import ContentFile

from ...attachments import AttachmentInput, attachment_problem, resolve_content_type
from .repair import raw_body_text, recover_multipart, strip_mime_noise
from .text import text_of

SIGNATURE_TYPES = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
    }
)
FORWARD_TYPES = frozenset({"message/rfc822", "message/global"})
FORWARD_HEADER = "---------- Forwarded message ----------"
MAX_FORWARD_DEPTH = 5


@dataclass
class WithheldPart:
    """A part of an email that is recorded on the message but not stored as a file."""

    filename: str
    content_type: str
    size: int
    reason: str  # signature | external | unsupported_type | too_large
    detail: str = ""
    access_type: str = ""
    url: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class MimeContent:
    """A message's own text and HTML, its forwarded messages (text, HTML) kept apart so a
    reply's quoted history can be trimmed without cutting a forward, and its files."""

    text: str = ""
    html: str = ""
    forwards: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[AttachmentInput] = field(default_factory=list)
    withheld: list[WithheldPart] = field(default_factory=list)

    def with_forwards(self, text: str, html: str) -> tuple[str, str]:
        """(text, html) of the message with its forwards quoted after its own text."""
        text = "\n\n".join(t for t in [text.strip(), *(f for f, _ in self.forwards)] if t)
        if html.strip() and self.forwards:
            html += "".join(f_html or _text_html(f_text) for f_text, f_html in self.forwards)
        return text, html


def _param(part: EmailMessage, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value or "").strip()


def _filename(part: EmailMessage, fallback: str) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return str(name or _param(part, "name") or fallback)


def _payload_size(part: EmailMessage) -> int:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        return len(str(payload)) if not isinstance(payload, list) else 0
    return len(data)


def header_value(part: EmailMessage, name: str) -> str:
    """A header as text, even when the policy cannot parse it."""
    try:
        return str(part.get(name) or "").strip()
    except Exception:
        values = part.get_all(name) or [""]
        return str(values[0]).strip()


# --- walking the tree --------------------------------------------------------------------

_ICS_FIELD = re.compile(r"^(SUMMARY|DTSTART|LOCATION)[^:\n]*:(.*)$", re.MULTILINE)


def calendar_summary(ics: str) -> str:
    """The few lines of an invitation a person reads (what, when, where)."""
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    fields: dict[str, str] = {}
    for name, value in _ICS_FIELD.findall(unfolded):
        fields.setdefault(name, value.strip().replace("\\,", ",").replace("\\n", " "))
    if not fields:
        return ""
    labels = (("SUMMARY", "Invitation"), ("DTSTART", "When"), ("LOCATION", "Where"))
    return "\n".join(f"{label}: {fields[key]}" for key, label in labels if fields.get(key))


def _withheld(part: EmailMessage, index: int) -> WithheldPart | None:
    content_type = part.get_content_type()
    if content_type in SIGNATURE_TYPES:
        return WithheldPart(
            _filename(part, "signature"),
            content_type,
            _payload_size(part),
            "signature",
            "A digital signature of the message (not verified, not stored).",
        )
    if content_type == "message/external-body":
        access_type = _param(part, "access-type")
        url = _param(part, "url")
        if not url and access_type.lower() == "anon-ftp":
            site, directory, name = (_param(part, k) for k in ("site", "directory", "name"))
            url = f"ftp://{site}/{directory.strip('/')}/{name}" if site else ""
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else None
        inner_type = inner.get_content_type() if inner is not None else ""
        return WithheldPart(
            _filename(part, _param(part, "name") or f"external-{index}"),
            inner_type or content_type,
            int(_param(part, "size") or 0) if _param(part, "size").isdigit() else 0,
            "external",
            "The sender referenced a file stored elsewhere; it was not fetched.",
            access_type=access_type,
            url=url,
        )
    return None


class _Walker:
    def __init__(self, depth: int):
        self.depth = depth
        self.content = MimeContent()
        self.extra_texts: list[str] = []
        self.calendar = ""

    def file(self, part: EmailMessage, data: bytes, filename: str) -> None:
        content_id = ""
        cid = header_value(part, "Content-ID")
        if cid:
            content_id = cid.strip().strip("<>")
        item = AttachmentInput(
            filename, ContentFile(data, name=filename), part.get_content_type(), content_id
        )
        problem = attachment_problem(item)
        if problem is None:
            self.content.attachments.append(item)
            return
        code, message = problem
        self.content.withheld.append(
            WithheldPart(
                filename,
                resolve_content_type(filename, item.content_type),
                item.size,
                code,
                message,
            )
        )

    def forward(self, part: EmailMessage, index: int) -> None:
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if not isinstance(inner, EmailMessage) or self.depth >= MAX_FORWARD_DEPTH:
            data = inner.as_bytes(policy=policy.SMTP) if hasattr(inner, "as_bytes") else b""
            self.file(part, data, _filename(part, f"message-{index}.eml"))
            return
        forwarded = extract(inner, depth=self.depth + 1)
        inner_text, inner_html = forwarded.with_forwards(forwarded.text, forwarded.html)
        names = ("From", "Date", "Subject", "To")
        heads = [f"{name}: {header_value(inner, name)}" for name in names]
        heads = [line for line in heads if not line.endswith(": ")]
        text = "\n".join([FORWARD_HEADER, *heads, "", inner_text or "(no text)"])
        html = ""
        if inner_html:
            head_html = "<br>".join(html_lib.escape(line) for line in [FORWARD_HEADER, *heads])
            html = f'<div class="forwarded"><p>{head_html}</p>{inner_html}</div>'
        self.content.forwards.append((text, html))
        self.content.attachments.extend(forwarded.attachments)
        self.content.withheld.extend(forwarded.withheld)

    def inline_text(self, part: EmailMessage, parent: str) -> bool:
        """Take an inline text part that is not a body: True when it is no file either. A
        calendar is summarized (and kept as a file); a further plain text is kept."""
        disposition = part.get_content_disposition()
        named = bool(_filename(part, ""))
        if part.get_content_maintype() != "text" or disposition == "attachment" or named:
            return False
        subtype = part.get_content_subtype()
        if subtype == "calendar":
            self.calendar = self.calendar or calendar_summary(text_of(part))
            return False
        if subtype in ("plain", "html"):
            # An alternative body we did not pick is not a file; a further text part of a
            # mixed message (text, image, more text) is more of the message.
            if subtype == "plain" and parent != "multipart/alternative":
                self.extra_texts.append(text_of(part).strip())
            return True
        return False

    def walk(self, part: EmailMessage, bodies: set[int], parent: str = "") -> None:
        if id(part) in bodies:
            return
        content_type = part.get_content_type()
        index = len(self.content.attachments) + len(self.content.withheld) + 1
        if content_type in FORWARD_TYPES:
            self.forward(part, index)
            return
        withheld = _withheld(part, index)  # before multipart: an external-body has a payload
        if withheld is not None:
            self.content.withheld.append(withheld)
            return
        if part.is_multipart():
            for sub in part.iter_parts():
                self.walk(sub, bodies, content_type)
            return
        if self.inline_text(part, parent):
            return
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            data = str(part.get_payload()).encode("utf-8", "surrogateescape")
        extension = mimetypes.guess_extension(content_type) or ""
        self.file(part, data, _filename(part, f"part-{index}{extension}"))


def _body(msg: EmailMessage, kind: str) -> EmailMessage | None:
    try:
        return msg.get_body(preferencelist=(kind,))
    except Exception:
        return None


def extract(msg: EmailMessage, *, depth: int = 0, raw: bytes | None = None) -> MimeContent:
    """Bodies, files, withheld parts and forwards of a (possibly broken) message. `raw` lets
    the top-level message fall back to its raw text when its structure is broken."""
    broken = msg.get_content_maintype() == "multipart" and not msg.is_multipart()
    if broken and raw is not None:
        fixed = recover_multipart(raw, msg)
        if fixed is not None:
            msg, broken = fixed, False
    text_part, html_part = _body(msg, "plain"), _body(msg, "html")
    text = text_of(text_part) if text_part is not None else ""
    html = text_of(html_part) if html_part is not None else ""
    bodies = {id(p) for p in (text_part, html_part) if p is not None}
    if text_part is None and html_part is None and not msg.is_multipart():
        if msg.get_content_type() == "text/html":
            html, bodies = text_of(msg), {id(msg)}
        elif msg.get_content_type() == "text/plain":
            text, bodies = text_of(msg), {id(msg)}
    walker = _Walker(depth)
    if broken:
        # Still no structure: the body is text with MIME noise in it.
        payload = str(msg.get_payload())
        text = raw_body_text(msg, raw) if raw is not None else strip_mime_noise(payload)
    else:
        walker.walk(msg, bodies)
    extra = [t for t in walker.extra_texts if t]
    if extra and html.strip():
        html += "".join(_text_html(t) for t in extra)  # the HTML is what the desk shows
    texts = [text.strip(), *extra]
    if not any(texts) and not html.strip() and walker.calendar:
        texts.append(walker.calendar)
    content = walker.content
    content.text, content.html = "\n\n".join(t for t in texts if t), html
    return content


def _text_html(text: str) -> str:
    return "<p>" + html_lib.escape(text).replace("\n", "<br>") + "</p>"
