"""The queue's and the views' ticket rows, and the ticket page's audit trail, as HTML built
in Python.

These are the desk's hottest loops: 50 rows of ~40 template nodes each (variable lookups,
filters, an include per SLA cell) were a third of the queue page's time. The markup is the
one desk/_queue_rows.html, desk/_view_rows.html and desk/ticket.html had, cell for cell;
every text is escaped (the labels once per language; ids, ISO times and CSS classes hold
nothing to escape), and the labels come from the same filters
(desk/templatetags/desk.py) and catalogue, so they follow the agent's language and time zone
as before."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from tickets.models import Priority

from .audit_words import AuditRow
from .dates import stamp_seconds, weekday_date_time
from .selectors import QueueRow
from .templatetags.desk import (
    channel_icon,
    channel_label,
    clock_css,
    due_when,
    minutes_left,
    priority_label,
    status_label,
)


def _esc(text: object) -> str:
    """conditional_escape(text) without its lazy-string wrapper (rows escape ~1000 values per
    page): markup already safe stays, any other text is escaped."""
    if isinstance(text, Promise):
        text = str(text)
    if hasattr(text, "__html__"):
        return text.__html__()
    return escape(str(text))


# The CSS class of a priority: the model's own (English) label, as the templates had it.
PRIORITY_CSS = dict(Priority.choices)


def sla_cell(row: QueueRow) -> SafeString:
    """desk/_sla_cell.html: the running clock's countdown, else breached or no SLA."""
    clock = row.clock
    language = get_language()
    if clock is not None:
        # ISO times, numbers and CSS classes hold nothing to escape; words are escaped.
        return mark_safe(  # noqa: S308 - every text value escaped
            f'<td><span class="countdown {clock_css(clock)}" data-due="{clock.due_at.isoformat()}"'
            f' data-warn="{clock.warn_at.isoformat()}" data-remaining="{clock.remaining_seconds}"'
            f' data-ticking="{"1" if clock.ticking else "0"}"'
            f' title="{_esc(clock.metric_label)}">'
            f"{_esc(minutes_left(clock.remaining_minutes))}</span><br>"
            f'<span class="due-when muted">{_esc(due_when(clock))}</span></td>'
        )
    return _words(language, "cell", "breached" if row.ticket.sla_breached else "none")


@lru_cache(maxsize=512)
def _words(language: str | None, kind: str, value) -> str:
    """A row's escaped label for a stored value in `language`, looked up once per process
    and language instead of once per row (the labels are lazy translations)."""
    if kind == "icon":
        return channel_icon(value)
    if kind == "channel":
        return _esc(channel_label(value))
    if kind == "priority":
        return _esc(priority_label(value))
    if kind == "pick":
        return _esc(gettext("Select #%(number)s"))
    if kind == "cell" and value == "breached":
        return format_html('<td><span class="sla-breached">{}</span></td>', gettext("breached"))
    if kind == "cell":
        return format_html('<td><span class="muted">{}</span></td>', gettext("no SLA"))
    return _esc(status_label(value))


def _fields(row: QueueRow) -> dict:
    """What both kinds of row show, each text escaped, for the row's one str.format."""
    t = row.ticket
    language = get_language()
    return {
        "pk": t.pk,
        "breached": ' class="breached"' if t.sla_breached else "",
        "sla": sla_cell(row),
        "url": _esc(row.url),
        "subject": _esc(t.subject),
        "requester": _esc(t.requester.name or gettext("(no name)")),
        "organization": (
            f'<br><span class="muted">{_esc(t.organization.name)}</span>'
            if t.organization_id
            else ""
        ),
        "tier": _esc((row.tier.name if row.tier else "") or "—"),
        "icon": _words(None, "icon", t.channel),
        "channel": _words(language, "channel", t.channel),
        "priority_css": _esc(PRIORITY_CSS.get(t.priority, t.priority)),
        "priority": _words(language, "priority", t.priority),
        "status": _words(language, "status", t.status),
        "assignee": _esc((t.assignee.display_name if t.assignee_id else "") or "—"),
    }


QUEUE_ROW = (
    '<tr data-ticket="{pk}"{breached}>\n'
    '    <td class="pick"><input type="checkbox" class="bulk-pick" name="ids" value="{pk}" '
    'form="bulk-form" aria-label="{pick}"></td>\n'
    "    {sla}\n"
    '    <th scope="row"><a href="{url}">#{pk} {subject}</a></th>\n'
    "    <td>{requester}{organization}</td>\n"
    "    <td>{tier}</td>\n"
    '    <td><span class="channel">{icon}</span> {channel}</td>\n'
    '    <td class="prio-{priority_css}">{priority}</td>\n'
    "    <td>{status}</td>\n"
    "    <td>{assignee}</td>\n"
    "  </tr>"
)
VIEW_ROW = (
    '<tr data-ticket="{pk}"{breached}>\n'
    "    {sla}\n"
    '    <th scope="row"><a href="{url}">#{pk} {subject}</a></th>\n'
    "    <td>{requester}{organization}</td>\n"
    "    <td>{tier}</td>\n"
    "    <td>{icon} {channel}</td>\n"
    '    <td class="prio-{priority_css}">{priority}</td>\n'
    "    <td>{status}</td>\n"
    '    <td><time datetime="{updated_iso}">{updated}</time></td>\n'
    "    <td>{assignee}</td>\n"
    "  </tr>"
)


def queue_row(row: QueueRow) -> SafeString:
    """One row of desk/_queue_rows.html: a pick box for the bulk bar, then the ticket."""
    pick = _words(get_language(), "pick", "") % {"number": row.ticket.pk}
    return mark_safe(QUEUE_ROW.format(pick=pick, **_fields(row)))  # noqa: S308 - escaped


def view_row(row: QueueRow) -> SafeString:
    """One row of desk/_view_rows.html: the ticket, with when it last changed."""
    t = row.ticket
    return mark_safe(  # noqa: S308 - every text value escaped
        VIEW_ROW.format(
            updated_iso=t.updated_at.isoformat(),
            updated=_esc(weekday_date_time(timezone.localtime(t.updated_at))),
            **_fields(row),
        )
    )


def audit_row(row: AuditRow) -> SafeString:
    """One row of the ticket page's audit trail: when, who, what, and the changes."""
    e = row.event
    when = timezone.localtime(e.created_at)
    if e.actor_user_id:
        who = e.actor_user.display_name
    elif e.actor_customer_id:
        who = e.actor_customer.name or gettext("Customer")
    else:
        who = gettext("System")
    changes = "<br>".join(_esc(change) for change in row.changes)
    return mark_safe(  # noqa: S308 - every text escaped
        f'<tr>\n            <td><time datetime="{e.created_at.isoformat()}"'
        f' title="{_esc(stamp_seconds(when))}">{_esc(weekday_date_time(when))}</time></td>\n'
        f"            <td>{_esc(who)}</td>\n            <td>{_esc(row.label)}</td>\n"
        f"            <td>{changes}</td>\n          </tr>"
    )
