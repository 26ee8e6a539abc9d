"""Send an event to a real-time group from synchronous code (handlers, services, tasks).

The channel layer is Redis (settings.CHANNEL_LAYERS), shared by every web process: a message
published by one process reaches sockets connected to any other. Publish after the commit of
what the event tells (core.events handlers run then), never inside the transaction: a socket
must not see what a rollback takes back. Delivery to a socket is best effort and at most once;
the stored truth stays the database (a client that reconnects reloads what it missed).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# Consumers receive {"type": EVENT_TYPE, "event": {...}} and forward `event` to their socket.
EVENT_TYPE = "live.event"
# publish_many's sends in flight at once (each a Redis round trip or two on a pooled connection).
SEND_CONCURRENCY = 16


def _run_sync(function, *args):
    """async_to_sync, also from a thread whose own event loop is running (a sync caller under
    one, e.g. sync Playwright): then the call runs in a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(function)(*args)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(async_to_sync(function), *args).result()


def publish(group: str, event: dict) -> bool:
    """Send `event` (JSON-serialisable, with a "type" key) to every socket in `group`.
    Returns False, logging why, when the layer could not take it (the caller goes on: the
    database already holds the truth)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        _run_sync(layer.group_send, group, {"type": EVENT_TYPE, "event": event})
    except Exception:  # a real-time hiccup must never fail the write it announces
        logger.warning("live publish to %s failed", group, exc_info=True)
        return False
    return True


def publish_many(items: list[tuple[str, dict]]) -> int:
    """Send each (group, event) pair, all in one trip into the event loop (one Redis
    connection, the sends concurrent): a sweep announcing a thousand changes does not pay a
    thousand connections. Returns how many the layer took; failures are logged, never raised."""
    layer = get_channel_layer()
    if layer is None or not items:
        return 0

    async def send_all() -> list:
        room = asyncio.Semaphore(SEND_CONCURRENCY)

        async def send(group: str, event: dict) -> None:
            async with room:
                await layer.group_send(group, {"type": EVENT_TYPE, "event": event})

        return await asyncio.gather(*(send(g, e) for g, e in items), return_exceptions=True)

    try:
        results = _run_sync(send_all)
    except Exception:
        logger.warning("live publish of %d events failed", len(items), exc_info=True)
        return 0
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        logger.warning(
            "live publish: %d of %d events failed", len(failed), len(items), exc_info=failed[0]
        )
    return len(items) - len(failed)
