"""The desk's view of what leaves: where a reply will go (shown before sending, from
tickets.channels.routing); the retry of a failed delivery is views.message_retry."""

from __future__ import annotations

from django.conf import settings

from tickets.channels.routing import attachments_refused_reason, reply_route, undeliverable_reason
from tickets.models import Ticket


def reply_context(ticket: Ticket) -> dict:
    """`reply_route` (None when nothing can carry a reply), what the form says about it, and
    why files cannot go with a public reply on it ("" when they can)."""
    route = reply_route(ticket)
    return {
        "attachment_max_count": settings.ATTACHMENT_MAX_COUNT,
        "reply_route": route,
        "reply_route_text": route.describe() if route else undeliverable_reason(ticket),
        "reply_files_refused": (
            attachments_refused_reason(route) if route and not route.carries_attachments else ""
        ),
    }


def reply_routable(ticket: Ticket) -> bool:
    return reply_route(ticket) is not None
