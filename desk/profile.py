"""The language and time zone the desk uses for one agent, applied around each desk view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from .models import TeamCalendar


def team_time_zone(user) -> str:
    """The zone of the calendar of the agent's first team (by name) that has one, else UTC."""
    zone = (
        TeamCalendar.objects.filter(team__members=user)
        .order_by("team__name")
        .values_list("calendar__time_zone", flat=True)
        .first()
    )
    return zone or settings.TIME_ZONE


def agent_time_zone(user) -> str:
    return user.time_zone or team_time_zone(user)


def agent_language(user) -> str:
    return user.language or "en"


@contextmanager
def agent_locale(user) -> Iterator[None]:
    """Render in the agent's language and show times in their zone (no LocaleMiddleware: the
    API and the admin stay English whatever a header says)."""
    with (
        translation.override(agent_language(user)),
        timezone.override(ZoneInfo(agent_time_zone(user))),
    ):
        yield
