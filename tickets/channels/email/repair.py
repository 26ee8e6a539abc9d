"""Broken MIME structure: a multipart whose declared boundary is missing, unused or wrong is
re-read with the boundary its body really uses, else its raw text is kept with the MIME noise
(boundary lines, part headers) stripped."""

from __future__ import annotations

import re
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from .text import decode_text, text_of

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BOUNDARY_LINE = re.compile(rb"^--([^\s][^\r\n]{0,199}?)(--)?[ \t]*\r?$", re.MULTILINE)
_CONTENT_TYPE_HEADER = re.compile(rb"^content-type:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n", re.I | re.M)
_NOISE_HEADER = re.compile(
    r"^(content-[a-z-]+|mime-version)\s*:.*(\n[ \t].*)*\n?", re.IGNORECASE | re.MULTILINE
)
_NOISE_BOUNDARY = re.compile(r"^--[^\s]{6,}[ \t]*$\n?", re.MULTILINE)


def _split_raw(raw: bytes) -> tuple[bytes, bytes]:
    match = _HEADER_END.search(raw)
    if not match:
        return raw, b""
    return raw[: match.start()] + b"\r\n", raw[match.end() :]


def _body_boundary(body: bytes) -> bytes | None:
    """The boundary a multipart body really uses: one that opens and closes, else the most
    frequent delimiter-looking line followed by MIME headers."""
    opened: Counter[bytes] = Counter()
    closed: set[bytes] = set()
    for match in _BOUNDARY_LINE.finditer(body):
        name = match.group(1).strip()
        if set(name) <= {ord("-")}:
            continue  # a line of dashes is a separator, not a boundary
        if match.group(2):
            closed.add(name)
        else:
            following = body[match.end() : match.end() + 200].lstrip(b"\r\n").lower()
            if following.startswith((b"content-", b"mime-version")) or name in closed:
                opened[name] += 1
    for name, _ in opened.most_common():
        if name in closed:
            return name
    return opened.most_common(1)[0][0] if opened else None


def recover_multipart(raw: bytes, msg: EmailMessage) -> EmailMessage | None:
    """A multipart whose declared boundary is missing, unused or wrong, re-read with the
    boundary its body uses; None when the body shows none."""
    head, body = _split_raw(raw)
    boundary = _body_boundary(body)
    if boundary is None or b'"' in boundary:
        return None
    subtype = msg.get_content_subtype().encode("ascii", "replace") or b"mixed"
    head = _CONTENT_TYPE_HEADER.sub(b"", head)
    head += b"Content-Type: multipart/" + subtype + b'; boundary="' + boundary + b'"\r\n'
    reparsed = BytesParser(policy=policy.default).parsebytes(head + b"\r\n" + body)
    if not reparsed.is_multipart() or not list(reparsed.iter_parts()):
        return None
    return reparsed


def strip_mime_noise(text: str) -> str:
    """Raw text of a broken multipart without its boundary lines and part headers."""
    text = text.replace("\r\n", "\n")
    text = _NOISE_BOUNDARY.sub("", text)
    text = _NOISE_HEADER.sub("", text)
    return text.strip()


def raw_body_text(msg: EmailMessage, raw: bytes) -> str:
    """Last resort: the message body as text, decoded with the declared or a guessed charset,
    part headers and boundaries stripped. A body that starts with part headers (a multipart
    with no boundary at all) is read as that part, so its encoding is undone."""
    _, body = _split_raw(raw)
    if not body.strip():
        return ""
    if re.match(rb"\s*content-", body, re.IGNORECASE):
        inner = BytesParser(policy=policy.default).parsebytes(body.lstrip())
        if inner.get_content_maintype() == "text":
            return strip_mime_noise(text_of(inner))
    return strip_mime_noise(decode_text(body, msg.get_param("charset") or None))
