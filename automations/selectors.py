"""The active rules, read once per process and kept for AUTOMATION_RULES_CACHE_SECONDS (a
change made in this process clears it at once, via post_save/post_delete; one made in another
process takes effect within that time), so an event costs no query when no rule applies:
ticket create stays at its pinned statement count (tests/tickets/test_create_cost.py)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

from .models import TeamRouting, TimeRule, Trigger


@dataclass(frozen=True)
class Rules:
    triggers: dict[str, list[Trigger]] = field(default_factory=dict)
    time_rules: dict[str, list[TimeRule]] = field(default_factory=dict)
    routed_teams: frozenset[int] = frozenset()


_lock = threading.Lock()
_cached: tuple[float, Rules] | None = None


def active_rules() -> Rules:
    global _cached
    ttl = getattr(settings, "AUTOMATION_RULES_CACHE_SECONDS", 30)
    cached = _cached
    if cached is not None and time.monotonic() - cached[0] < ttl:
        return cached[1]
    triggers: dict[str, list[Trigger]] = {}
    for rule in Trigger.objects.filter(active=True).order_by("position", "id"):
        triggers.setdefault(rule.event, []).append(rule)
    time_rules: dict[str, list[TimeRule]] = {}
    for rule in TimeRule.objects.filter(active=True).order_by("position", "id"):
        time_rules.setdefault(rule.timer, []).append(rule)
    routed = frozenset(TeamRouting.objects.filter(active=True).values_list("team_id", flat=True))
    rules = Rules(triggers=triggers, time_rules=time_rules, routed_teams=routed)
    with _lock:
        _cached = (time.monotonic(), rules)
    return rules


def triggers_for(event_type: str) -> list[Trigger]:
    return active_rules().triggers.get(event_type, [])


def time_rules_for(timers: set[str]) -> list[TimeRule]:
    rules = active_rules().time_rules
    return [rule for timer in sorted(timers) for rule in rules.get(timer, [])]


def rules_cache_clear(**_kwargs) -> None:
    global _cached
    with _lock:
        _cached = None
