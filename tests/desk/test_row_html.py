"""The queue's and views' rows (desk.row_html, each text escaped once, labels once per
language) are what the format_html version wrote: countdowns, breached and no-SLA cells,
names to escape, no organization or assignee, in each desk language."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from desk import row_html, selectors
from desk.dates import stamp_seconds, weekday_date_time
from desk.templatetags.desk import (
    channel_icon,
    channel_label,
    clock_css,
    due_when,
    minutes_left,
    priority_label,
    status_label,
)
from slas.models import SlaClock
from tests.factories import CustomerFactory, UserFactory
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

NASTY = "<b>\"R&D\" 'x'</b>"


# The rows as desk/row_html.py wrote them with format_html, before it escaped by hand.
def _sla_cell(row) -> str:
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


def _fields(row) -> dict:
    t = row.ticket
    return {
        "pk": t.pk,
        "breached": mark_safe(' class="breached"') if t.sla_breached else "",
        "sla": _sla_cell(row),
        "url": row.url,
        "subject": t.subject,
        "requester": t.requester.name or gettext("(no name)"),
        "organization": (
            format_html('<br><span class="muted">{}</span>', t.organization.name)
            if t.organization_id
            else ""
        ),
        "tier": (row.tier.name if row.tier else "") or "—",
        "icon": channel_icon(t.channel),
        "channel": channel_label(t.channel),
        "priority_css": row_html.PRIORITY_CSS.get(t.priority, t.priority),
        "priority": str(priority_label(t.priority)),
        "status": str(status_label(t.status)),
        "assignee": (t.assignee.display_name if t.assignee_id else "") or "—",
    }


def _queue_row(row) -> str:
    pick = gettext("Select #%(number)s") % {"number": row.ticket.pk}
    return format_html(row_html.QUEUE_ROW, pick=pick, **_fields(row))


def _view_row(row) -> str:
    t = row.ticket
    return format_html(
        row_html.VIEW_ROW,
        updated_iso=t.updated_at.isoformat(),
        updated=weekday_date_time(timezone.localtime(t.updated_at)),
        **_fields(row),
    )


def test_rows_read_as_format_html_wrote_them(agent, make_ticket, tier, customer):
    make_ticket(NASTY, requester=CustomerFactory(name=NASTY, tier=tier))
    make_ticket("no name", requester=CustomerFactory(name="", organization=None))
    make_ticket("assigned", assignee=UserFactory(first_name=NASTY, teams=agent.teams.all()))
    breached = make_ticket("breached", priority=4)
    SlaClock.objects.filter(ticket=breached).update(
        breached_at=timezone.now(), due_at=timezone.now() - timedelta(hours=2)
    )
    paused = make_ticket("paused")
    SlaClock.objects.filter(ticket=paused).update(paused_since=timezone.now())
    paused_breached = make_ticket("paused breached")
    SlaClock.objects.filter(ticket=paused_breached).update(
        paused_since=timezone.now(), breached_at=timezone.now()
    )
    now = timezone.now()
    for language, zone in [("en", "Europe/Riga"), ("ru", "Asia/Tehran")]:
        with translation.override(language), timezone.override(ZoneInfo(zone)):
            rows = selectors.queue_rows(agent, selectors.QueueFilters(), limit=50, now=now)
            assert len(rows) == 6
            assert {r.ticket.sla_breached for r in rows if r.clock is None} == {True, False}
            for row in rows:
                assert row_html.queue_row(row) == _queue_row(row)
                assert row_html.view_row(row) == _view_row(row)


def test_due_when_speaks_the_agents_language():
    soon = SimpleNamespace(due_at=timezone.now() + timedelta(hours=1), business_hours=True)
    later = SimpleNamespace(due_at=timezone.now() + timedelta(days=9), business_hours=False)
    for language in ("en", "ru"):
        with translation.override(language), timezone.override(ZoneInfo("Europe/Riga")):
            assert due_when(soon) == gettext("due %(when)s, business hours") % {
                "when": dateformat.format(timezone.localtime(soon.due_at), "D H:i")
            }
            assert due_when(later) == gettext("due %(when)s, calendar time") % {
                "when": dateformat.format(timezone.localtime(later.due_at), "D j M H:i")
            }


def _old_audit_row(row) -> str:
    """desk.row_html.audit_row as format_html wrote it."""
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


def test_audit_rows_read_as_format_html_wrote_them(agent, make_ticket):
    agent.first_name = NASTY
    agent.save()
    ticket = make_ticket(NASTY, requester=CustomerFactory(name=NASTY))
    ticket_services.ticket_update(ticket=ticket, actor=agent, assignee=agent, tags=[NASTY[:20]])
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="x", public=False)
    ticket_services.customer_message_add(ticket=ticket, body="y")
    for language in ("en", "ru"):
        with translation.override(language), timezone.override(ZoneInfo("Asia/Tehran")):
            rows = selectors.audit_trail(ticket)
            assert len(rows) >= 4
            for row in rows:
                assert row_html.audit_row(row) == _old_audit_row(row)
