"""What accounts hears: saves and deletions of tokens and users forget their cached token
entries (accounts.token_cache)."""

from __future__ import annotations

from accounts import token_cache


def connect() -> None:
    """Idempotent: the dispatch_uids ignore a second call."""
    token_cache.connect()
