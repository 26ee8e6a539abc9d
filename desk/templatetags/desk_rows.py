"""The queue's and views' rows and the audit trail's, rendered by desk.row_html, and a
message's header and body by desk.message_html (the pages' hottest loops)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

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


@register.simple_tag(takes_context=True)
def conversation_items(context, messages, ticket) -> SafeString:
    """`{% for m in messages %}\n        {% include "desk/_message.html" %}\n        {% endfor %}`:
    most messages built in Python (message_html.message_item), those with a delivery line or
    withheld parts by the template, in the page's context (its csrf token, as the include)."""
    template = context.template.engine.get_template("desk/_message.html")
    items = []
    for m in messages:
        if message_html.has_rare_parts(m):
            with context.push(m=m):
                item = template.render(context)
        else:
            item = message_html.message_item(m, ticket.pk)
        items.append(f"\n        {item}\n        ")
    return mark_safe("".join(items))  # noqa: S308 - each item escaped where it was built


@register.filter
def message_start(message: Message, ticket_id: int) -> SafeString:
    return message_html.message_start(message, ticket_id)


@register.filter
def message_attachments(message: Message) -> SafeString | str:
    return message_html.message_attachments(message)
