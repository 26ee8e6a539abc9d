"""The queue's and views' rows and the audit trail's, rendered by desk.row_html, and a
message's header and body by desk.message_html (the pages' hottest loops)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from desk import message_html, row_html
from desk.audit_words import AuditRow
from desk.selectors import QueueRow
from tickets.models import Message

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


@register.filter
def message_header(message: Message, ticket_id: int) -> SafeString:
    return message_html.message_header(message, ticket_id)


@register.filter
def message_body(message: Message) -> SafeString:
    return message_html.message_body(message)


@register.filter
def message_start(message: Message, ticket_id: int) -> SafeString:
    return message_html.message_start(message, ticket_id)


@register.filter
def message_attachments(message: Message) -> SafeString | str:
    return message_html.message_attachments(message)
