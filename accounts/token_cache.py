"""API tokens as the authentication reads them: from the shared cache (Redis), not a row read
of the token and its user on every request.

An entry is the token with its user (pickled, as the ORM loaded it), keyed by the key's hash.
Anything that changes what the entry says invalidates it: a token saved or deleted (revoked),
a user saved or deleted (role, is_active, is_superuser...). Invalidation writes a *tombstone*
(TOMBSTONE_SECONDS), at once and again after the writer's commit, and entries are only ever
added with SET NX: so a request that read the old row just before the commit can never put it
back over the tombstone, and the next request after the commit reads the row again. Changes
made with QuerySet.update() skip the signals: they apply within ENTRY_SECONDS (nothing in the
project changes tokens or users that way).

With the cache unreachable, authentication reads the row (logged): as with throttling, Redis
being away must not take the API down.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from redis.exceptions import RedisError

from accounts.models import ApiToken, User

logger = logging.getLogger(__name__)

ENTRY_SECONDS = 300
TOMBSTONE_SECONDS = 60
TOMBSTONE = "revoked"
_ERRORS = (RedisError, OSError)


def _key(key_hash: str) -> str:
    return f"auth:token:{key_hash}"


def _from_database(key_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True)
        .first()
    )


def cache_key(key_hash: str) -> str:
    """The entry's key as stored in Redis (for a caller that reads it in its own pipeline)."""
    return cache.make_key(_key(key_hash))


def token_for(key_hash: str) -> ApiToken | None:
    """The live token with this key hash (its user loaded), or None; one cache read when
    warm. The caller still checks `token.user.is_active`."""
    try:
        entry = cache.get(_key(key_hash))
    except _ERRORS as exc:
        logger.warning("token cache unavailable, reading the row: %s", exc)
        return _from_database(key_hash)
    return token_from_entry(key_hash, entry)


def token_from_entry(key_hash: str, entry: object) -> ApiToken | None:
    """token_for, given the cache's answer already (None when there was no entry)."""
    if isinstance(entry, ApiToken):
        return entry
    token = _from_database(key_hash)
    if token is not None and entry != TOMBSTONE:
        try:
            cache.add(_key(key_hash), token, ENTRY_SECONDS)
        except _ERRORS as exc:
            logger.warning("token cache unavailable, entry not stored: %s", exc)
    return token


def invalidate(key_hashes: list[str]) -> None:
    """Forget these tokens' entries now and once the current transaction commits."""
    if not key_hashes:
        return

    def bury() -> None:
        try:
            cache.set_many({_key(h): TOMBSTONE for h in key_hashes}, TOMBSTONE_SECONDS)
        except _ERRORS as exc:
            logger.error("token cache unavailable, entries not invalidated: %s", exc)

    bury()
    transaction.on_commit(bury)


def _token_changed(sender, instance: ApiToken, created: bool = False, **kwargs) -> None:
    if not created:  # a new key has no entry to forget
        invalidate([instance.key_hash])


def _user_changed(sender, instance: User, **kwargs) -> None:
    fields = kwargs.get("update_fields")
    if instance.pk is None or kwargs.get("created") or (fields and set(fields) <= {"last_login"}):
        return  # nothing an entry says changed (a sign-in only stamps last_login)
    hashes = list(ApiToken.objects.filter(user_id=instance.pk).values_list("key_hash", flat=True))
    invalidate(hashes)


def connect() -> None:
    """Wire the invalidation (AccountsConfig.ready)."""
    post_save.connect(_token_changed, sender=ApiToken, dispatch_uid="token_cache_token_saved")
    post_delete.connect(_token_changed, sender=ApiToken, dispatch_uid="token_cache_token_gone")
    post_save.connect(_user_changed, sender=User, dispatch_uid="token_cache_user_saved")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="token_cache_user_gone")
