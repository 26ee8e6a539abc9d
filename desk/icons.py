"""Inline SVG icons the desk draws, by name (a channel adapter's `icon`).

Line icons on a 24-unit grid, stroked in the text colour (`currentColor`), so they follow the
theme and print; decorative (aria-hidden), since the label always stands beside them."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Only trusted constant markup: the paths of each icon.
_PATHS = {
    "mail": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
    "chat": '<path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1.1-4.4A8 8 0 1 1 21 12z"/>',
    "phone": (
        '<path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2'
        'A16 16 0 0 1 3 6a2 2 0 0 1 2-2z"/>'
    ),
    "social": '<circle cx="12" cy="12" r="4"/><path d="M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-4 8"/>',
    "web": (
        '<circle cx="12" cy="12" r="9"/>'
        '<path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/>'
    ),
    "api": '<path d="m8 7-5 5 5 5M16 7l5 5-5 5M14 4l-4 16"/>',
}
_FALLBACK = '<circle cx="12" cy="12" r="3"/>'


def icon_svg(name: str) -> SafeString:
    """The icon `name` as inline SVG (a dot for a name without a drawing)."""
    return format_html(
        '<svg class="icon" data-icon="{}" viewBox="0 0 24 24" width="16" height="16" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
        'aria-hidden="true" focusable="false">{}</svg>',
        name,
        mark_safe(_PATHS.get(name, _FALLBACK)),  # noqa: S308 - constant markup above
    )
