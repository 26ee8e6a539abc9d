"""Who else has a ticket open on the desk, kept in Django's cache (Redis in production).

One cache entry per ticket maps user id -> (name, state, last heartbeat). Each heartbeat
rewrites the entry with a fresh TTL; entries older than the TTL are dropped on read, so an
agent who closed the tab disappears within DESK_PRESENCE_TTL_SECONDS. Two heartbeats racing
on the same ticket may lose one of them; the next one (every ~10 s) repairs it. Presence is a
hint for people, not a lock: the ticket's version is what prevents overwrites.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

STATES = ("viewing", "replying")


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: str


def _key(ticket_id: int) -> str:
    return f"desk:presence:{ticket_id}"


def _ttl() -> int:
    return settings.DESK_PRESENCE_TTL_SECONDS


def _fresh(entries: dict, now: float) -> dict:
    return {uid: entry for uid, entry in entries.items() if now - entry["at"] < _ttl()}


def heartbeat(*, ticket_id: int, user, state: str) -> None:
    """Record that `user` is viewing or replying to the ticket right now."""
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}")
    now = time.time()
    entries = _fresh(cache.get(_key(ticket_id)) or {}, now)
    entries[user.pk] = {"name": user.display_name, "state": state, "at": now}
    cache.set(_key(ticket_id), entries, timeout=_ttl())


def others(*, ticket_id: int, user) -> list[Presence]:
    """Everyone else on the ticket, replying ones first, then by name."""
    entries = _fresh(cache.get(_key(ticket_id)) or {}, time.time())
    people = [
        Presence(user_id=uid, name=entry["name"], state=entry["state"])
        for uid, entry in entries.items()
        if uid != user.pk
    ]
    return sorted(people, key=lambda p: (p.state != "replying", p.name))
