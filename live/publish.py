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
import os
import threading

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# Consumers receive {"type": EVENT_TYPE, "event": {...}} and forward `event` to their socket.
EVENT_TYPE = "live.event"
# publish_many's sends in flight at once (each a Redis round trip or two on a pooled connection).
SEND_CONCURRENCY = 16
# How long a publish may hold its caller (a request, a task) when the layer does not answer.
PUBLISH_TIMEOUT_SECONDS = 5.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """The process's publishing event loop, in a daemon thread of its own, started on first
    use (so after gunicorn's or Celery's fork, in the process that publishes).

    Not async_to_sync per publish: that ran each send in a new event loop in a new thread,
    and channels_redis keeps its Redis connections per event loop, so every publish paid a
    thread, a loop and a Redis connection (~5 ms of a ticket create's ~24). One loop keeps one
    pool of connections for the life of the process."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-publish", daemon=True).start()
            _loop = loop
        return _loop


def _forget_loop_after_fork() -> None:
    """A forked child has the parent's loop object but not its thread: start its own."""
    global _lock, _loop
    _lock, _loop = threading.Lock(), None


os.register_at_fork(after_in_child=_forget_loop_after_fork)


def _run_sync(function, *args):
    """Run the coroutine function on the publishing loop and wait for its result (at most
    PUBLISH_TIMEOUT_SECONDS; then it is cancelled and TimeoutError raised). Callable from any
    thread, also one whose own event loop is running (a sync caller under one, e.g. sync
    Playwright)."""
    future = asyncio.run_coroutine_threadsafe(function(*args), _publisher_loop())
    try:
        return future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except TimeoutError:
        future.cancel()
        raise


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
