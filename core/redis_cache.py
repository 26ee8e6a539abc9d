"""Django's Redis cache with one redis-py client per connection pool, not one per call.

Django's RedisCacheClient.get_client builds a new `redis.Redis` for every cache operation, and
redis-py's constructor fills a case-insensitive table of ~170 response callbacks each time:
the largest single CPU cost of a warm token-authenticated API request (bench.profile_light).
A client keeps no connection of its own (its pool does) and is safe to share between threads,
so one per pool answers every call alike. Settings name it when REDIS_URL is set.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class _OneClientPerPool(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: str | None = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object (self._pools)
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool
