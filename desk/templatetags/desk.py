"""Small presentation filters for the desk templates."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from desk import labels
from desk.dates import weekday_date_time, weekday_time
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
        return _("overdue %(time)s") % {"time": text} if minutes < 0 else text
    total = round(abs(minutes))
    hours, mins = divmod(total, 60)
    days, hours = divmod(hours, 24)
    text = f"{days}d {hours}h" if days else f"{hours}h {mins:02d}m" if hours else f"{mins}m"
    return _("overdue %(time)s") % {"time": text} if minutes < 0 else text


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


@lru_cache(maxsize=16)
def _due_words(language: str | None) -> tuple[str, str]:
    """due_when's phrases in `language` (the active one), translated once per process."""
    return _("due %(when)s, business hours"), _("due %(when)s, calendar time")


@register.filter
def due_when(clock) -> str:
    """When a countdown ends, in the active (agent's) zone: "due Thu 16:00, business hours"."""
    if clock is None:
        return ""
    local = timezone.localtime(clock.due_at)
    near = abs(clock.due_at - timezone.now()) < timedelta(days=6)
    when = weekday_time(local) if near else weekday_date_time(local)
    business, calendar = _due_words(get_language())
    return (business if clock.business_hours else calendar) % {"when": when}


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
def metric_label(value: str) -> str:
    return labels.METRIC.get(value, value)


@register.filter
def clock_state_label(value: str) -> str:
    return labels.CLOCK_STATE.get(value, value)


@register.simple_tag
def overdue_pattern() -> str:
    """The "overdue %(time)s" words for desk.js, in the agent's language."""
    return _("overdue %(time)s")
