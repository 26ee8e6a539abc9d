"""Per-credential API throttling, counted in the shared cache (Redis in production).

Each API token has its own budget (a misbehaving integration cannot starve the others);
session users are counted per user, anonymous callers per address. Over budget: 429 with
Retry-After and the usual error shape.

When the cache cannot be reached the request is let through (logged): throttling protects
the service, it must not take the API down with Redis (tickets would be refused while the
database, which holds them, is fine; found by tests/faults/test_worker_kill.py).
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from helpdesk.models import ApiToken

logger = logging.getLogger(__name__)


class CredentialRateThrottle(SimpleRateThrottle):
    scope = "credential"

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            logger.warning("throttle cache unavailable, request let through: %s", exc)
            return True

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
