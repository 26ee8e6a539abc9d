"""The desk's view of what leaves: where a reply will go (shown before sending, from
tickets.channels.routing); the retry of a failed delivery is views.message_retry."""

from __future__ import annotations

from tickets.channels.routing import reply_route, undeliverable_reason
from tickets.models import Ticket


def reply_context(ticket: Ticket) -> dict:
    """`reply_route` (None when nothing can carry a reply) and what the form says about it."""
    route = reply_route(ticket)
    return {
        "reply_route": route,
        "reply_route_text": route.describe() if route else undeliverable_reason(ticket),
    }
