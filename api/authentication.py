"""Token authentication and the credential's throttle step in one Redis round trip.

A warm API request needs two answers from Redis: the cached token (accounts.token_cache)
and the throttle's sliding-window step (api.throttling). Asked in one pipeline they cost one
round trip instead of two; the throttle then applies the verdict it finds on the request.
The step is taken before DRF's permission check (which would come first otherwise), so a
request its role refuses counts against its credential's budget too: stricter, never looser.
An unknown key counts under its own hash (the log expires with the window). Whenever the
pipeline cannot answer, each part falls back to its own path.
"""

from __future__ import annotations

import logging

from django.core.cache import caches
from redis.exceptions import NoScriptError, RedisError

from accounts import auth, token_cache
from accounts.models import ApiToken
from api import throttling

logger = logging.getLogger(__name__)


def _throttle() -> throttling.CredentialRateThrottle | None:
    from rest_framework.settings import api_settings

    classes = api_settings.DEFAULT_THROTTLE_CLASSES
    if classes != [throttling.CredentialRateThrottle]:
        return None  # another throttle set: it counts on its own
    return throttling.CredentialRateThrottle()


class TokenAuthentication(auth.TokenAuthentication):
    def lookup(self, request, key_hash: str) -> ApiToken | None:
        throttle = _throttle()
        step = throttle.redis_step(throttling.token_ident(key_hash)) if throttle else None
        if step is None:
            return super().lookup(request, key_hash)
        cache = caches["default"]
        entry_key = token_cache.cache_key(key_hash)
        try:
            client = cache._cache.get_client(entry_key, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.get(entry_key)
            pipe.evalsha(throttling.SLIDING_WINDOW_SHA, 1, step[0], *step[1])
            raw, verdict = pipe.execute(raise_on_error=False)
            if isinstance(verdict, NoScriptError):  # first use on this Redis
                verdict = client.eval(throttling.SLIDING_WINDOW, 1, step[0], *step[1])
            if isinstance(raw, Exception) or isinstance(verdict, Exception):
                raise raw if isinstance(raw, Exception) else verdict
        except (RedisError, OSError) as exc:
            logger.warning("cache unavailable for token and throttle, each on its own: %s", exc)
            return super().lookup(request, key_hash)
        setattr(request._request, throttling.VERDICT_ATTRIBUTE, tuple(verdict))
        entry = None if raw is None else cache._cache._serializer.loads(raw)
        return token_cache.token_from_entry(key_hash, entry)
