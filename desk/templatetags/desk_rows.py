"""The queue's and views' rows, rendered by desk.row_html (the pages' hottest loop)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from desk import row_html
from desk.selectors import QueueRow

register = template.Library()


@register.filter
def queue_row(row: QueueRow) -> SafeString:
    return row_html.queue_row(row)


@register.filter
def view_row(row: QueueRow) -> SafeString:
    return row_html.view_row(row)
