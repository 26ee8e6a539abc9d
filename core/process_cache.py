"""A value read once per process and reused for a while: the rows every event or request asks
for and that change rarely (webhook subscriptions, follow-up rules). A change made in this
process clears it at once (connect `clear` to the model's post_save/post_delete); a change
made in another process is seen within the setting's seconds, read on each use (tests
override it)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")

_ALL: weakref.WeakSet[ProcessCache] = weakref.WeakSet()


class ProcessCache(Generic[T]):
    def __init__(self, load: Callable[[], T], *, seconds_setting: str) -> None:
        self._load = load
        self._setting = seconds_setting
        self._held: tuple[float, T] | None = None
        self._lock = threading.Lock()
        _ALL.add(self)

    def get(self) -> T:
        held, now = self._held, time.monotonic()
        if held is not None and now - held[0] < getattr(settings, self._setting):
            return held[1]
        value = self._load()
        with self._lock:
            self._held = (now, value)
        return value

    def clear(self, **_signal_kwargs) -> None:
        """Forget the value (a signal receiver: takes the signal's arguments)."""
        with self._lock:
            self._held = None


def clear_all() -> None:
    """Forget every process cache's value (tests: ids are reused between them)."""
    for held in list(_ALL):
        held.clear()
