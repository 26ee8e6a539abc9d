"""The door's dedupe key reads the Message-ID by scanning the header lines
(parse._scanned_message_id) and leaves anything unusual to the stdlib parser: the key must
be the one the parser's reading gives, for every email, since stored rows were keyed so and a
second delivery of one email must find the first."""

from __future__ import annotations

import hashlib
from email.parser import BytesParser
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tickets.channels.email import parse

CORPUS = Path(__file__).parent / "corpus"


def parsed_key(raw: bytes) -> str:
    """dedupe_key as it was before the scan: the headers parsed by the stdlib (policy.default
    with the header cache), the Message-ID read from them."""
    headers = BytesParser(policy=parse.POLICY).parsebytes(raw, headersonly=True)
    message_id = parse.normalize_message_id(parse._header(headers, "Message-ID"))
    return message_id[:490] or "sha256:" + hashlib.sha256(raw).hexdigest()


NAMES = st.sampled_from(
    [
        *("Message-ID", "message-id", "MESSAGE-ID", "Message-Id", "X-Message-ID", "Subject"),
        *("From", "References", "In-Reply-To", "Received", "Message-ID ", ":", "Message-ID\t"),
    ]
)
VALUES = st.sampled_from(
    [
        "<a1@example.com>",
        " <a1@example.com>",
        "\t<b2@mail.example>  ",
        "<a1@example.com> <c3@example.com>",
        "=?utf-8?q?x?= <a@b>",
        "a1@example.com",
        "",
        " ",
        "<a1@example.com>(comment)",
        "<a b@c>",
        "<>",
        "<id-\xe9@example.com>",
        "Grüße",
        "<only-open@example.com",
        "\x0c<ff@example.com>",
    ]
)
ENDS = st.sampled_from(["\r\n", "\n", "\r"])
ODD_LINES = st.sampled_from(
    [
        *("From sender@example.com Mon Dec  1 10:00:00 2026", "no colon here", " leading space"),
        *("\tleading tab", ":no name", "Subject:", "X-Empty:"),
    ]
)


@st.composite
def header_line(draw) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(ODD_LINES)
    line = f"{draw(NAMES)}:{draw(VALUES)}"
    cut = line.find(" ", line.index(":"))  # fold at a space after the colon
    if draw(st.booleans()) and cut > 0:
        line = line[:cut] + draw(st.sampled_from(["\r\n", "\n"])) + line[cut:]
    return line


@st.composite
def email(draw) -> bytes:
    end = draw(ENDS)
    lines = draw(st.lists(header_line(), max_size=8))
    text = end.join(lines)
    tail = draw(st.sampled_from(["blank line and body", "end of headers", "unterminated"]))
    if tail == "blank line and body":
        text += end + end + draw(st.sampled_from(["Hello", "Message-ID: <in-body@x>", ""]))
    elif tail == "end of headers" and lines:
        text += end
    encoding = draw(st.sampled_from(["utf-8", "latin-1"]))
    return text.encode(encoding)


@settings(max_examples=3000, deadline=None)
@given(email())
@example(b"Message-ID: <a@b>\r\nMessage-ID: <c@d>\r\n\r\n")
@example(b"From x@y Mon Dec  1 10:00:00 2026\nMessage-ID: <a@b>\n\n")
@example(b"Subject: hi\r\nMessage-ID:\r\n <folded@example.com>\r\nFrom: a@b\r\n\r\nbody")
@example(b"")
@example(b"Message-ID: <>\r\n\r\n")
@example(b"\r\n\r\nMessage-ID: <a@b>")
def test_the_scanned_key_is_the_parsed_key(raw):
    assert parse.dedupe_key(raw) == parsed_key(raw)


def test_real_mail_takes_the_scan_and_keys_as_the_parser_does():
    """Every corpus email keys alike either way; the plain ones (nearly all) never reach the
    parser, or the scan would be no faster than what it replaces."""
    scanned, paths = 0, sorted(CORPUS.glob("*.eml"))
    for path in paths:
        raw = path.read_bytes()
        assert parse.dedupe_key(raw) == parsed_key(raw), path.name
        scanned += parse._scanned_message_id(raw) is not None
    assert scanned >= 0.9 * len(paths), scanned


def test_an_id_the_stdlib_parser_cannot_take_is_read_as_it_is_written():
    """`Message-ID: <>` raises IndexError in CPython's header parser on every read: the door
    keys such an email by its content and the worker still reads it."""
    raw = b"From: Ann <ann@example.com>\r\nMessage-ID: <>\r\nSubject: Hi\r\n\r\nMy order is late."
    assert parse.dedupe_key(raw) == "sha256:" + hashlib.sha256(raw).hexdigest()
    parsed = parse.parse_email(raw)
    assert (parsed.message_id, parsed.text.strip()) == ("", "My order is late.")
