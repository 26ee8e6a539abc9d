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
import time

import redis
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

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


_clients: dict[int, redis.Redis] = {}


def _client(layer: RedisChannelLayer, index: int) -> redis.Redis:
    """A plain (synchronous) client of the layer's host `index`, one per process; redis-py's
    pool notices a fork and opens its own connections in the child."""
    client = _clients.get(index)
    if client is None:
        host = dict(layer.hosts[index])
        address = host.pop("address")
        host.pop("max_connections", None)  # the loop's sockets need many; this one, one
        host["socket_timeout"] = host["socket_connect_timeout"] = PUBLISH_TIMEOUT_SECONDS
        client = _clients[index] = redis.Redis.from_url(address, **host)
    return client


def _listened(layer, names: set[str]) -> set[str]:
    """Of the groups `names`, those a socket listens to; all of them when the layer cannot
    tell (not channels_redis, or a Sentinel host).

    channels_redis keeps a group as a sorted set of its channels scored by when they joined,
    and its group_send first reads that set (two round trips per group, on the publishing
    loop) to learn that nobody is there, the usual case of a ticket's group. One pipelined
    ZCOUNT per host, from the caller's thread, answers that for every group of a batch;
    members older than the layer's group_expiry are the ones its group_send discards."""
    if not isinstance(layer, RedisChannelLayer) or any("address" not in h for h in layer.hosts):
        return names
    by_host: dict[int, list[str]] = {}
    for name in names:
        by_host.setdefault(layer.consistent_hash(name), []).append(name)
    since = int(time.time()) - layer.group_expiry
    listened = set()
    for index, host_names in by_host.items():
        pipe = _client(layer, index).pipeline(transaction=False)
        for name in host_names:
            pipe.zcount(layer._group_key(name), since, "+inf")
        counts = pipe.execute()
        listened.update(name for name, count in zip(host_names, counts, strict=True) if count)
    return listened


def publish(group: str, event: dict) -> bool:
    """Send `event` (JSON-serialisable, with a "type" key) to every socket in `group`.
    Returns False, logging why, when the layer could not take it (the caller goes on: the
    database already holds the truth)."""
    return publish_many([(group, event)]) == 1


def publish_many(items: list[tuple[str, dict]]) -> int:
    """Send each (group, event) pair, all in one trip into the event loop (one Redis
    connection, the sends concurrent): a sweep announcing a thousand changes does not pay a
    thousand connections. A group nobody listens to is not sent to (`_listened`): its pairs
    count as taken, there was nobody to tell. Returns how many the layer took; failures are
    logged, never raised."""
    layer = get_channel_layer()
    if layer is None or not items:
        return 0
    try:
        listened = _listened(layer, {group for group, _event in items})
    except Exception:  # a real-time hiccup must never fail the write it announces
        logger.warning("live publish of %d events failed", len(items), exc_info=True)
        return 0
    quiet = sum(1 for group, _event in items if group not in listened)
    items = [(group, event) for group, event in items if group in listened]
    if not items:
        return quiet

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
        return quiet
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        logger.warning(
            "live publish: %d of %d events failed", len(failed), len(items), exc_info=failed[0]
        )
    return quiet + len(items) - len(failed)
