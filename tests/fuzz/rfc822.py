"""A hypothesis strategy for `message/rfc822` bodies: the raw-email door's media type, which
schemathesis cannot generate by itself. Mostly well-formed messages (headers the parser reads,
plain or multipart bodies, encoded words, odd charsets), plus some garbage bytes."""

from __future__ import annotations

from hypothesis import strategies as st

_ADDRESSES = st.sampled_from(
    [
        "alice@example.com",
        '"Bob, Jr." <bob@example.org>',
        "=?utf-8?q?J=C3=BCrgen?= <juergen@example.de>",
        "support@helpdesk.example",
        "undisclosed-recipients:;",
        "not an address",
        "",
    ]
)
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=40,
)


@st.composite
def _message(draw) -> bytes:
    headers = [
        f"From: {draw(_ADDRESSES)}",
        f"To: {draw(_ADDRESSES)}",
        f"Subject: {draw(_TEXT)}",
    ]
    if draw(st.booleans()):
        headers.append(f"Message-ID: <{draw(st.uuids())}@example.com>")
    if draw(st.booleans()):
        headers.append("In-Reply-To: <ticket-1@helpdesk.example>")
    if draw(st.booleans()):
        headers.append("Date: Tue, 01 Dec 2026 09:00:00 +0100")
    body = draw(_TEXT)
    charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "x-unknown"]))
    if draw(st.booleans()):
        headers += ["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"']
        text = "\r\n".join(
            [
                "--b1",
                f"Content-Type: text/plain; charset={charset}",
                "",
                body,
                "--b1",
                'Content-Type: application/octet-stream; name="a.bin"',
                "Content-Transfer-Encoding: base64",
                "",
                "aGVsbG8=",
                "--b1--",
            ]
        )
    else:
        headers.append(f"Content-Type: text/plain; charset={charset}")
        text = body
    return ("\r\n".join(headers) + "\r\n\r\n" + text + "\r\n").encode("utf-8", "surrogatepass")


def rfc822_messages() -> st.SearchStrategy[bytes]:
    return st.one_of(_message(), _message(), st.binary(max_size=200))
