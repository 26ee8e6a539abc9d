"""Moved: the email channel lives in tickets/channels/email/ and thread keys in threads.py.
Kept only for tickets/channels/outbound.py (the outbox branch rewrites it); delete on merge."""

from .threads import thread_remember as remember

__all__ = ["remember"]
