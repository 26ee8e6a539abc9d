"""Which of our languages a customer speaks, read from a language header.

One pure function for both doors that tell us: an email's `Content-Language` ("ru",
"lv-LV, en") and a browser's `Accept-Language` ("fa-IR,fa;q=0.9,en-US;q=0.8").
"""

from __future__ import annotations

from .models import Locale

SUPPORTED = frozenset(Locale.values)


def locale_from_header(value: str | None) -> str:
    """The first supported language of a Content-Language / Accept-Language value, by
    preference (q-values; ties keep the header's order), or "" when none is ours."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((value or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, number = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().replace("_", "-").split("-")[0].lower()
        if primary in SUPPORTED and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else ""
