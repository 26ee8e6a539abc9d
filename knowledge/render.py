"""Article bodies: Markdown (CommonMark + tables + strikethrough, raw HTML off) rendered by
markdown-it-py, then sanitized with nh3 (core.text), so what is stored is never raw.

markdown-it and nh3 are imported on the first render, not with the module: every web worker
imports this one (knowledge.services), few render an article (tests/config/test_lazy_imports.py)."""

from __future__ import annotations

import html
import re
from functools import cache

from core.text import sanitize_html


@cache
def _markdown():
    from markdown_it import MarkdownIt

    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    return markdown.enable(["table", "strikethrough"])


def render_markdown(source: str) -> str:
    """Sanitized HTML for a Markdown body (raw HTML in the source is shown as text)."""
    return sanitize_html(_markdown().render(source or ""))


def markdown_to_text(source: str) -> str:
    """Plain text of a Markdown body, for search and snippets."""
    import nh3

    rendered = _markdown().render(source or "")
    rendered = re.sub(r"</(p|h[1-6]|li|tr|pre|blockquote)>", "\\g<0>\n", rendered)
    text = html.unescape(nh3.clean(rendered, tags=set()))
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n", text)).strip()
