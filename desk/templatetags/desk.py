"""Small presentation filters for the desk templates."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from desk import labels

register = template.Library()

# Inline SVG paths (24x24, stroked with currentColor) keyed by icon name, the names channel
# adapters declare (tickets.channels.registry: `adapter(kind).icon`). Drawn by the page, so no
# font has to carry an emoji.
ICON_PATHS = {
    "mail": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
    "chat": '<path d="M4 5h16v11H9l-5 4z"/>',
    "phone": (
        '<path d="M5 3h4l2 5-2.5 1.5a11 11 0 0 0 6 6L16 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 5'
        'a2 2 0 0 1 2-2"/>'
    ),
    "social": '<circle cx="12" cy="12" r="4"/><path d="M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-4 8"/>',
    "web": (
        '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 '
        '0 18"/>'
    ),
    "api": '<path d="m8 7-5 5 5 5M16 7l5 5-5 5M14 4l-4 16"/>',
    "dot": '<circle cx="12" cy="12" r="4"/>',
}
# Channel kinds whose icon has another name (until every template asks the registry).
KIND_ICONS = {"email": "mail"}


@register.filter
def minutes_left(minutes: float | None) -> str:
    """Business minutes as "1h 05m", "4m 09s" or "overdue 12m 00s": desk.js writes the same."""
    if minutes is None:
        return "—"
    seconds = round(abs(minutes) * 60)
    if seconds < 3600:  # the last hour counts seconds
        text = f"{seconds // 60}m {seconds % 60:02d}s"
        return _("overdue %(time)s") % {"time": text} if minutes < 0 else text
    total = round(abs(minutes))
    hours, mins = divmod(total, 60)
    days, hours = divmod(hours, 24)
    text = f"{days}d {hours}h" if days else f"{hours}h {mins:02d}m" if hours else f"{mins}m"
    return _("overdue %(time)s") % {"time": text} if minutes < 0 else text


def _svg_icon(name: str, label: str = "") -> SafeString:
    name = KIND_ICONS.get(name, name)
    paths = ICON_PATHS.get(name, ICON_PATHS["dot"])
    a11y = format_html('role="img" aria-label="{}"', label) if label else 'aria-hidden="true"'
    return format_html(
        '<svg class="icon icon-{}" viewBox="0 0 24 24" width="16" height="16" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
        '{} focusable="false">{}</svg>',
        name,
        mark_safe(a11y),  # noqa: S308 - built by format_html above
        mark_safe(paths),  # noqa: S308 - our own constant markup
    )


@register.simple_tag(name="channel_icon")
def channel_icon_tag(name: str, label: str = "") -> SafeString:
    """`{% channel_icon adapter.icon %}`: the icon as inline SVG (decorative unless labelled)."""
    return _svg_icon(name, label)


@register.filter
def channel_icon(name: str) -> SafeString:
    """`{{ ticket.channel|channel_icon }}`: the same SVG, for templates that use the filter."""
    return _svg_icon(name)


@register.filter
def due_when(clock) -> str:
    """When a countdown ends, in the active (agent's) zone: "due Thu 16:00, business hours"."""
    if clock is None:
        return ""
    local = timezone.localtime(clock.due_at)
    near = abs(clock.due_at - timezone.now()) < timedelta(days=6)
    when = dateformat.format(local, "D H:i" if near else "D j M H:i")
    if clock.business_hours:
        return _("due %(when)s, business hours") % {"when": when}
    return _("due %(when)s, calendar time") % {"when": when}


@register.filter
def time_kind(clock) -> str:
    """Whether a countdown counts business hours or calendar time."""
    return _("business hours") if clock.business_hours else _("calendar time")


@register.filter
def clock_css(clock) -> str:
    """Colour class of a countdown as rendered (desk.js keeps it current)."""
    if clock is None:
        return ""
    if clock.state == "breached" or (clock.remaining_minutes or 0) < 0:
        return "sla-breached"
    if clock.state == "at_risk":
        return "sla-warning"
    return f"sla-{clock.state}"


@register.filter
def status_label(value: str) -> str:
    return labels.STATUS.get(value, value)


@register.filter
def priority_label(value: int) -> str:
    return labels.PRIORITY.get(value, value)


@register.filter
def channel_label(value: str) -> str:
    return labels.CHANNEL.get(value, value)


@register.filter
def metric_label(value: str) -> str:
    return labels.METRIC.get(value, value)


@register.filter
def clock_state_label(value: str) -> str:
    return labels.CLOCK_STATE.get(value, value)


@register.simple_tag
def overdue_pattern() -> str:
    """The "overdue %(time)s" words for desk.js, in the agent's language."""
    return _("overdue %(time)s")
