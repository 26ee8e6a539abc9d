"""Operations on people and tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, IdempotencyRecord, Role, User

TOKEN_PREFIX = "hd_"  # noqa: S105 - a visible marker, not a secret


def hash_token_key(key: str) -> str:
    """Keys carry 256 bits of entropy, so a plain SHA-256 is enough (no slow KDF needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; return it with its key, which is never stored or shown again."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:10], key_hash=hash_token_key(key)
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def integration_create(*, username: str, name: str = "") -> User:
    """An integration is a user with no usable password that authenticates with tokens only."""
    user = User(username=username, first_name=name[:150], role=Role.INTEGRATION)
    user.set_unusable_password()
    user.save()
    return user


def idempotency_records_purge(*, older_than) -> int:
    """Delete stored responses whose keys expired; returns how many went."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=older_than).delete()
    return deleted
