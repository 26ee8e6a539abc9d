"""The language and time zone the desk uses for one agent, applied around each desk view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from core import rows
from slas.models import BusinessCalendar
from tickets.models import Team

from .models import TeamCalendar


@cache
def _team_zone_sql() -> str:
    """The statement of team_time_zone, written once per process from the models' names (it
    runs on every desk request; the ORM compiled its three joins each time)."""
    quote = connection.ops.quote_name
    members = Team.members.through

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    return (
        f"SELECT c.{column(BusinessCalendar, 'time_zone')}"  # noqa: S608
        f" FROM {rows.table(TeamCalendar)} tc"
        f" JOIN {rows.table(Team)} t ON t.{column(Team, 'id')} = tc.{column(TeamCalendar, 'team')}"
        f" JOIN {rows.table(members)} m ON m.{column(members, 'team')} = t.{column(Team, 'id')}"
        f" JOIN {rows.table(BusinessCalendar)} c"
        f" ON c.{column(BusinessCalendar, 'id')} = tc.{column(TeamCalendar, 'calendar')}"
        f" WHERE m.{column(members, 'user')} = %s ORDER BY t.{column(Team, 'name')} LIMIT 1"
    )


def team_time_zone(user) -> str:
    """The zone of the calendar of the agent's first team (by name) that has one, else UTC."""
    with connection.cursor() as cursor:
        cursor.execute(_team_zone_sql(), [user.pk])
        row = cursor.fetchone()
    return (row[0] if row else None) or settings.TIME_ZONE


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
