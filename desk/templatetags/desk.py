"""Small presentation filters for the desk templates."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from tickets.channels import registry

from ..icons import icon_svg

register = template.Library()


@register.filter
def minutes_left(minutes: float | None) -> str:
    """Business minutes as "1h 05m", "4m 09s" or "overdue 12m 00s": desk.js writes the same."""
    if minutes is None:
        return "—"
    seconds = round(abs(minutes) * 60)
    if seconds < 3600:  # the last hour counts seconds
        text = f"{seconds // 60}m {seconds % 60:02d}s"
        return f"overdue {text}" if minutes < 0 else text
    total = round(abs(minutes))
    hours, mins = divmod(total, 60)
    days, hours = divmod(hours, 24)
    text = f"{days}d {hours}h" if days else f"{hours}h {mins:02d}m" if hours else f"{mins}m"
    return f"overdue {text}" if minutes < 0 else text


@register.filter
def channel_icon(kind: str) -> SafeString:
    """The kind's icon (its adapter's `icon`) as inline SVG."""
    adapter = registry.find(kind)
    return icon_svg(adapter.icon if adapter else "")


@register.filter
def channel_label(kind: str) -> str:
    """The kind's name as its adapter gives it (translated)."""
    adapter = registry.find(kind)
    return str(adapter.label) if adapter else kind


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
