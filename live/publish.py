"""Send an event to a real-time group from synchronous code (handlers, services, tasks).

The channel layer is Redis (settings.CHANNEL_LAYERS), shared by every web process: a message
published by one process reaches sockets connected to any other. Publish after the commit of
what the event tells (core.events handlers run then), never inside the transaction: a socket
must not see what a rollback takes back. Delivery to a socket is best effort and at most once;
the stored truth stays the database (a client that reconnects reloads what it missed).
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# Consumers receive {"type": EVENT_TYPE, "event": {...}} and forward `event` to their socket.
EVENT_TYPE = "live.event"


def publish(group: str, event: dict) -> bool:
    """Send `event` (JSON-serialisable, with a "type" key) to every socket in `group`.
    Returns False, logging why, when the layer could not take it (the caller goes on: the
    database already holds the truth)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, {"type": EVENT_TYPE, "event": event})
    except Exception:  # a real-time hiccup must never fail the write it announces
        logger.warning("live publish to %s failed", group, exc_info=True)
        return False
    return True
