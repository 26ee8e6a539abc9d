"""The queue's and views' rows and the audit trail's, rendered by desk.row_html (the pages'
hottest loops)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from desk import row_html
from desk.audit_words import AuditRow
from desk.selectors import QueueRow

register = template.Library()


@register.filter
def queue_row(row: QueueRow) -> SafeString:
    return row_html.queue_row(row)


@register.filter
def view_row(row: QueueRow) -> SafeString:
    return row_html.view_row(row)


@register.filter
def audit_row(row: AuditRow) -> SafeString:
    return row_html.audit_row(row)
