"""Text and HTML: every HTML body is sanitized with nh3 before it is stored or rendered.

nh3 and html2text are imported by the functions that use them: a web worker serving plain-text
tickets never loads them (tests/config/test_lazy_imports.py)."""

from __future__ import annotations

import html

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# cid: lets inline email images point at their attachment; no javascript:, no data:.
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def sanitize_html(value: str) -> str:
    """Keep formatting, drop scripts, event handlers, styles and dangerous URLs."""
    if not value:
        return ""
    import nh3

    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def html_to_text(value: str) -> str:
    """Readable plain text from HTML (links kept as [text](url), no line wrapping)."""
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    return converter.handle(value or "").strip()


def text_to_html(value: str) -> str:
    """Escape plain text and keep its paragraphs and line breaks."""
    paragraphs = [p for p in (value or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + html.escape(p.strip()).replace("\n", "<br>") + "</p>" for p in paragraphs
    )
