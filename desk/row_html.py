"""The queue's and the views' ticket rows, and the ticket page's audit trail, as HTML built
in Python.

These are the desk's hottest loops: 50 rows of ~40 template nodes each (variable lookups,
filters, an include per SLA cell) were a third of the queue page's time. The markup is the
one desk/_queue_rows.html, desk/_view_rows.html and desk/ticket.html had, cell for cell;
every value is escaped by format_html, and the labels come from the same filters
(desk/templatetags/desk.py) and catalogue, so they follow the agent's language and time zone
as before."""

from __future__ import annotations

from functools import lru_cache

from django.utils import timezone
from django.utils.html import format_html, format_html_join
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

# The CSS class of a priority: the model's own (English) label, as the templates had it.
PRIORITY_CSS = dict(Priority.choices)


def sla_cell(row: QueueRow) -> SafeString:
    """desk/_sla_cell.html: the running clock's countdown, else breached or no SLA."""
    clock = row.clock
    if clock is not None:
        return format_html(
            '<td><span class="countdown {}" data-due="{}" data-warn="{}" data-remaining="{}" '
            'data-ticking="{}" title="{}">{}</span><br><span class="due-when muted">{}</span></td>',
            clock_css(clock),
            clock.due_at.isoformat(),
            clock.warn_at.isoformat(),
            clock.remaining_seconds,
            "1" if clock.ticking else "0",
            clock.metric_label,
            minutes_left(clock.remaining_minutes),
            due_when(clock),
        )
    if row.ticket.sla_breached:
        return format_html('<td><span class="sla-breached">{}</span></td>', gettext("breached"))
    return format_html('<td><span class="muted">{}</span></td>', gettext("no SLA"))


@lru_cache(maxsize=512)
def _words(language: str | None, kind: str, value) -> str:
    """A row's label for a stored value in `language`, looked up once per process and
    language instead of once per row (the labels are lazy translations)."""
    if kind == "icon":
        return channel_icon(value)
    if kind == "channel":
        return channel_label(value)
    if kind == "priority":
        return str(priority_label(value))
    return str(status_label(value))


def _fields(row: QueueRow) -> dict:
    """What both kinds of row show, escaped by the one format_html of the row."""
    t = row.ticket
    language = get_language()
    return {
        "pk": t.pk,
        "breached": mark_safe(' class="breached"') if t.sla_breached else "",
        "sla": sla_cell(row),
        "url": row.url,
        "subject": t.subject,
        "requester": t.requester.name or gettext("(no name)"),
        "organization": (
            format_html('<br><span class="muted">{}</span>', t.organization.name)
            if t.organization_id
            else ""
        ),
        "tier": (row.tier.name if row.tier else "") or "—",
        "icon": _words(None, "icon", t.channel),
        "channel": _words(language, "channel", t.channel),
        "priority_css": PRIORITY_CSS.get(t.priority, t.priority),
        "priority": _words(language, "priority", t.priority),
        "status": _words(language, "status", t.status),
        "assignee": (t.assignee.display_name if t.assignee_id else "") or "—",
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
    pick = gettext("Select #%(number)s") % {"number": row.ticket.pk}
    return format_html(QUEUE_ROW, pick=pick, **_fields(row))


def view_row(row: QueueRow) -> SafeString:
    """One row of desk/_view_rows.html: the ticket, with when it last changed."""
    t = row.ticket
    return format_html(
        VIEW_ROW,
        updated_iso=t.updated_at.isoformat(),
        updated=weekday_date_time(timezone.localtime(t.updated_at)),
        **_fields(row),
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
    return format_html(
        '<tr>\n            <td><time datetime="{}" title="{}">{}</time></td>\n'
        "            <td>{}</td>\n            <td>{}</td>\n            <td>{}</td>\n"
        "          </tr>",
        e.created_at.isoformat(),
        stamp_seconds(when),
        weekday_date_time(when),
        who,
        row.label,
        format_html_join(mark_safe("<br>"), "{}", ((change,) for change in row.changes)),
    )
