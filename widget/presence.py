"""Which chat conversations have a widget connected right now, kept in Redis.

One sorted set per thread: each connected socket (its Channels channel name) scored with the
time its presence runs out. The consumer adds itself on connect and on every heartbeat (the
frame pings every CHAT_PRESENCE_TTL_SECONDS / 3) and removes itself on disconnect; a process
that died without a disconnect leaves entries that simply run out. The chat transport asks
`connected(thread_id)` before it counts a reply as delivered to the widget.

The Redis is the channel layer's (LIVE_REDIS_URL), the same one every web process fans out
through. Without one (the in-memory layer of one process) a dictionary does.
"""

from __future__ import annotations

import threading
import time
from functools import cache

import redis
from django.conf import settings

_local: dict[str, dict[str, float]] = {}
_lock = threading.Lock()


def _key(thread_id: int) -> str:
    return f"chat:presence:{thread_id}"


def _ttl() -> int:
    return settings.CHAT_PRESENCE_TTL_SECONDS


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _redis() -> redis.Redis | None:
    url = settings.LIVE_REDIS_URL
    return _client(url) if url else None


def arrive(thread_id: int, socket: str) -> None:
    """`socket` (a channel name) is connected to the thread's conversation; also the
    heartbeat."""
    until = time.time() + _ttl()
    client = _redis()
    if client is None:
        with _lock:
            _local.setdefault(_key(thread_id), {})[socket] = until
        return
    pipe = client.pipeline()
    pipe.zadd(_key(thread_id), {socket: until})
    pipe.expire(_key(thread_id), _ttl() * 2)
    pipe.execute()


def leave(thread_id: int, socket: str) -> None:
    client = _redis()
    if client is None:
        with _lock:
            _local.get(_key(thread_id), {}).pop(socket, None)
        return
    client.zrem(_key(thread_id), socket)


def connected(thread_id: int) -> bool:
    """Whether at least one widget socket of the conversation is connected now."""
    now = time.time()
    client = _redis()
    if client is None:
        with _lock:
            return any(until > now for until in _local.get(_key(thread_id), {}).values())
    return client.zcount(_key(thread_id), now, "+inf") > 0
