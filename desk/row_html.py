"""The queue's and the views' ticket rows, and the ticket page's audit trail, as HTML built
in Python.

These are the desk's hottest loops: 50 rows of ~40 template nodes each (variable lookups,
filters, an include per SLA cell) were a third of the queue page's time. The markup is the
one desk/_queue_rows.html, desk/_view_rows.html and desk/ticket.html had, cell for cell;
every value is escaped by format_html, and the labels come from the same filters
(desk/templatetags/desk.py) and catalogue, so they follow the agent's language and time zone
as before."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from .audit_words import AuditRow
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


def _cells(row: QueueRow) -> list[SafeString]:
    """The cells both kinds of row share, from the subject to the status."""
    t = row.ticket
    organization = (
        format_html('<br><span class="muted">{}</span>', t.organization.name)
        if t.organization_id
        else ""
    )
    return [
        sla_cell(row),
        format_html('<th scope="row"><a href="{}">#{} {}</a></th>', row.url, t.pk, t.subject),
        format_html("<td>{}{}</td>", t.requester.name or gettext("(no name)"), organization),
        format_html("<td>{}</td>", (row.tier.name if row.tier else "") or "—"),
    ]


def _tail(t) -> list[SafeString]:
    return [
        format_html(
            '<td class="prio-{}">{}</td>', t.get_priority_display(), priority_label(t.priority)
        ),
        format_html("<td>{}</td>", status_label(t.status)),
    ]


def _assignee(t) -> SafeString:
    return format_html("<td>{}</td>", (t.assignee.display_name if t.assignee_id else "") or "—")


def _tr(t, cells: list[SafeString]) -> SafeString:
    return format_html(
        '<tr data-ticket="{}"{}>\n    {}\n  </tr>',
        t.pk,
        mark_safe(' class="breached"') if t.sla_breached else "",
        mark_safe("\n    ".join(cells)),  # noqa: S308 - each cell is format_html's
    )


def queue_row(row: QueueRow) -> SafeString:
    """One row of desk/_queue_rows.html: a pick box for the bulk bar, then the ticket."""
    t = row.ticket
    pick = format_html(
        '<td class="pick"><input type="checkbox" class="bulk-pick" name="ids" value="{}" '
        'form="bulk-form" aria-label="{}"></td>',
        t.pk,
        gettext("Select #%(number)s") % {"number": t.pk},
    )
    channel = format_html(
        '<td><span class="channel">{}</span> {}</td>',
        channel_icon(t.channel),
        channel_label(t.channel),
    )
    return _tr(t, [pick, *_cells(row), channel, *_tail(t), _assignee(t)])


def view_row(row: QueueRow) -> SafeString:
    """One row of desk/_view_rows.html: the ticket, with when it last changed."""
    t = row.ticket
    channel = format_html("<td>{} {}</td>", channel_icon(t.channel), channel_label(t.channel))
    updated = format_html(
        '<td><time datetime="{}">{}</time></td>',
        t.updated_at.isoformat(),
        formats.date_format(timezone.localtime(t.updated_at), "D j M H:i"),
    )
    return _tr(t, [*_cells(row), channel, *_tail(t), updated, _assignee(t)])


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
        formats.date_format(when, "Y-m-d H:i:s T"),
        formats.date_format(when, "D j M H:i"),
        who,
        row.label,
        format_html_join(mark_safe("<br>"), "{}", ((change,) for change in row.changes)),
    )
