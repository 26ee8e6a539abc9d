"""API token authentication: `Authorization: Token <key>` or `Authorization: Bearer <key>`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts import token_cache
from accounts.models import ApiToken
from accounts.services import hash_token_key

# Writing last_used_at on every request would turn every read into a write; a coarse
# timestamp is all anyone needs to spot an unused token.
LAST_USED_RESOLUTION = timedelta(minutes=5)
# When this process last recorded each token's use: the cached token's last_used_at is as old
# as the entry, so without this every request after the first 5 minutes would write again.
_recorded: dict[int, datetime] = {}


def _touch_after_commit(token_id: int, now: datetime) -> None:
    """Record the use once the request's transaction committed (at once for reads, which run
    in autocommit). Inside the write transaction the UPDATE would hold the token's row lock
    until commit, so concurrent requests with the same token would queue behind each other;
    after commit it is one short statement, and only the first of them matches."""
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)

    def record() -> None:
        ApiToken.objects.filter(stale, pk=token_id).update(last_used_at=now)
        _recorded[token_id] = now

    transaction.on_commit(record)


def _used_recently(token: ApiToken, now: datetime) -> bool:
    last = _recorded.get(token.pk) or token.last_used_at
    return last is not None and now - last <= LAST_USED_RESOLUTION


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: expected 'Token <key>'."
            )
        key = parts[1].decode(errors="replace")
        token = self.lookup(request, hash_token_key(key))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if not _used_recently(token, now):
            _touch_after_commit(token.pk, now)
        return token.user, token

    def lookup(self, request, key_hash: str) -> ApiToken | None:
        """The live token with this key hash (api.authentication adds the throttle step to
        the same Redis round trip)."""
        return token_cache.token_for(key_hash)

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'
