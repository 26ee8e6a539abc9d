"""Per-credential API throttling, counted in the shared cache (Redis in production).

Each API token has its own budget (a misbehaving integration cannot starve the others);
session users are counted per user, anonymous callers per address. Over budget: 429 with
Retry-After and the usual error shape.
"""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from helpdesk.models import ApiToken


class CredentialRateThrottle(SimpleRateThrottle):
    scope = "credential"

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
