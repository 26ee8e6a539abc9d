"""The help center's languages: what each is called, its text-search configuration and its
direction. One table, read by search, pages and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    code: str
    name: str  # in the language itself, for the language switcher
    # PostgreSQL text-search configuration: a snowball stemmer where PostgreSQL 15 ships one
    # (english, russian, lithuanian); Latvian and Persian have none, so `simple` (lower-cased
    # words, no stemming) plus unaccent, with trigram similarity for the word forms it misses.
    search_config: str
    rtl: bool = False

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"


LOCALES: dict[str, Locale] = {
    locale.code: locale
    for locale in (
        Locale("en", "English", "english"),
        Locale("ru", "Русский", "russian"),
        Locale("lv", "Latviešu", "simple"),
        Locale("lt", "Lietuvių", "lithuanian"),
        Locale("fa", "فارسی", "simple", rtl=True),
    )
}
DEFAULT_LOCALE = "en"
LOCALE_CHOICES = [(code, locale.name) for code, locale in LOCALES.items()]


def locale_of(code: str | None) -> Locale:
    """The locale for a code such as "ru", "ru-RU" or "RU"; English for anything unknown."""
    base = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return LOCALES.get(base, LOCALES[DEFAULT_LOCALE])


def from_accept_language(header: str) -> str | None:
    """The first supported language of an Accept-Language header, by quality."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        base = tag.strip().lower().split("-")[0]
        if base in LOCALES and quality > 0:
            ranked.append((-quality, index, base))
    return min(ranked)[2] if ranked else None


_PERSIAN = re.compile(r"[\u0600-\u06ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATVIAN = re.compile(r"[āēīķļņģ]", re.IGNORECASE)
_LITHUANIAN = re.compile(r"[ąęėįų]", re.IGNORECASE)


def guess_locale(text: str) -> str:
    """A customer's language from their writing, when nothing else says it: the script
    (Persian, Cyrillic), else the letters only Latvian or Lithuanian use, else English."""
    if _PERSIAN.search(text or ""):
        return "fa"
    if _CYRILLIC.search(text or ""):
        return "ru"
    if _LATVIAN.search(text or ""):
        return "lv"
    if _LITHUANIAN.search(text or ""):
        return "lt"
    return DEFAULT_LOCALE
