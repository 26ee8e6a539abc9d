"""Text parts as text: whatever charset a part declares (or lies about, or leaves out), its
bytes become text; an unknown or wrong charset never fails a message."""

from __future__ import annotations

from email.message import EmailMessage

import charset_normalizer

# Charset names mail clients use that Python does not know, or knows under another name.
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
    "utf8": "utf-8",
}
_NO_CHARSET = frozenset({"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "x-user-defined"})


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes of a text part as text: the declared charset when it decodes, else UTF-8, else
    the likeliest legacy charset of our customers' languages, else Latin-1 (which decodes
    anything). A lying or unknown charset never fails a message."""
    declared = (charset or "").strip().strip("\"'").lower()
    declared = _CHARSET_ALIASES.get(declared, declared)
    candidates = [] if declared in _NO_CHARSET else [declared]
    for candidate in [*candidates, "utf-8"]:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    guessed = _guess_charset(data)
    if guessed:
        return data.decode(guessed, errors="replace")
    return data.decode("cp1252") if _decodes(data, "cp1252") else data.decode("latin-1")


# The legacy 8-bit charsets of the languages our customers write (English and Western Europe,
# Russian, Latvian and Lithuanian, Persian): what undeclared 8-bit mail is in, in practice.
_LEGACY_CHARSETS = ["cp1252", "cp1251", "koi8_r", "cp1257", "iso8859_13", "cp1256"]


def _guess_charset(data: bytes) -> str | None:
    """The most plausible of the legacy charsets for undeclared 8-bit text (charset-normalizer
    measures how much each decoding looks like language), or None when none fits."""
    best = charset_normalizer.from_bytes(data, cp_isolation=_LEGACY_CHARSETS).best()
    return best.encoding if best is not None else None


def _decodes(data: bytes, charset: str) -> bool:
    try:
        data.decode(charset)
    except UnicodeDecodeError:
        return False
    return True


def text_of(part: EmailMessage) -> str:
    """The decoded text of one leaf part (base64 and quoted-printable undone, even broken)."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a payload the stdlib cannot even split: keep what is there
        data = str(part.get_payload()).encode("utf-8", "surrogateescape")
    if data is None:
        return ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_text(data, charset).replace("\r\n", "\n")
