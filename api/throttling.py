"""Per-credential API throttling, counted in the shared cache (Redis in production).

Each API token has its own budget (a misbehaving integration cannot starve the others);
session users are counted per user, anonymous callers per address. Over budget: 429 with
Retry-After and the usual error shape.

With Redis the budget is a sliding window log kept by one Lua script (`SLIDING_WINDOW`): the
check, the pruning of old entries and the recording of the request happen atomically in
Redis, in one round trip, timed by Redis's own clock. So concurrent requests on any number of
workers never get more than the limit through in any window (DRF's SimpleRateThrottle reads
the history, decides in Python and writes it back: concurrent requests overwrote each other's
entries and let 1,346 of 2,500 requests through a 1,200/min budget). Without Redis (the
local-memory cache of `make run`) DRF's algorithm is used unchanged: one process, no race
that matters.

When the cache cannot be reached the request is let through (logged): throttling protects
the service, it must not take the API down with Redis (tickets would be refused while the
database, which holds them, is fine; found by tests/faults/test_worker_kill.py).
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError, RedisError
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken

logger = logging.getLogger(__name__)

# KEYS[1]: the credential's log (a sorted set of request times in ms); ARGV[1]: the limit;
# ARGV[2]: the window in ms; ARGV[3]: a unique member suffix (two requests in one ms).
# Returns {1, 0} when the request is allowed (and recorded), else {0, ms until a slot frees}.
# Only allowed requests are recorded, so the set never holds more than the limit.
SLIDING_WINDOW = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
    redis.call('PEXPIRE', KEYS[1], window)
    return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
"""
SLIDING_WINDOW_SHA = hashlib.sha1(SLIDING_WINDOW.encode(), usedforsecurity=False).hexdigest()


# Where api.authentication leaves the verdict it got in the token's round trip.
VERDICT_ATTRIBUTE = "_credential_throttle_verdict"


def token_ident(key_hash: str) -> str:
    return f"token:{key_hash[:32]}"


class CredentialRateThrottle(SimpleRateThrottle):
    scope = "credential"

    def redis_step(self, ident: str) -> tuple[str, tuple] | None:
        """(key, args) of the sliding-window script for `ident`, or None when this throttle
        does not count in Redis (no rate, or the local-memory cache)."""
        if self.rate is None or not isinstance(caches["default"], RedisCache):
            return None
        key = caches["default"].make_key(self.cache_format % {"scope": self.scope, "ident": ident})
        return f"{key}:log", (self.num_requests, int(self.duration * 1000), uuid.uuid4().hex[:12])

    def apply_verdict(self, allowed: int, wait_ms: int) -> bool:
        self._wait = max(int(wait_ms), 1) / 1000 if not allowed else 0.0
        return bool(allowed)

    def allow_request(self, request, view) -> bool:
        verdict = getattr(request._request, VERDICT_ATTRIBUTE, None)
        if verdict is not None:  # counted with the token lookup (api.authentication)
            return self.apply_verdict(*verdict)
        try:
            cache = caches["default"]
            if self.rate is None or not isinstance(cache, RedisCache):
                return super().allow_request(request, view)
            self.key = self.get_cache_key(request, view)
            if self.key is None:
                return True
            return self._allow_in_redis(cache)
        except (RedisError, OSError) as exc:
            logger.warning("throttle cache unavailable, request let through: %s", exc)
            return True

    def _allow_in_redis(self, cache: RedisCache) -> bool:
        """One EVALSHA (an EVAL the first time a Redis sees the script)."""
        # Its own key: a history list DRF left under self.key (before a deploy) is not a log.
        key = cache.make_key(f"{self.key}:log")
        client = cache._cache.get_client(key, write=True)
        args = (key, self.num_requests, int(self.duration * 1000), uuid.uuid4().hex[:12])
        try:
            allowed, wait_ms = client.evalsha(SLIDING_WINDOW_SHA, 1, *args)
        except NoScriptError:
            allowed, wait_ms = client.eval(SLIDING_WINDOW, 1, *args)
        return self.apply_verdict(allowed, wait_ms)

    def wait(self) -> float | None:
        """Seconds until the oldest request in the window leaves it (one slot frees)."""
        if hasattr(self, "_wait"):
            return self._wait
        return super().wait()

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = token_ident(request.auth.key_hash)
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
