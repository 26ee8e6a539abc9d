"""The agent's default zone (desk.profile.team_time_zone, SQL written once) is what the ORM
query it replaced gives: the calendar zone of their first team by name that has one, else
the project's zone."""

from __future__ import annotations

import pytest
from django.conf import settings

from desk.models import TeamCalendar
from desk.profile import team_time_zone
from tests.factories import CalendarFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _orm_zone(user) -> str:
    zone = (
        TeamCalendar.objects.filter(team__members=user)
        .order_by("team__name")
        .values_list("calendar__time_zone", flat=True)
        .first()
    )
    return zone or settings.TIME_ZONE


def test_team_zone_is_the_orm_querys():
    a, b, c = (TeamFactory(name=name) for name in ("Alpha", "Beta", "Gamma"))
    TeamCalendar.objects.create(team=b, calendar=CalendarFactory(time_zone="Asia/Tokyo"))
    TeamCalendar.objects.create(team=c, calendar=CalendarFactory(time_zone="Europe/Riga"))
    users = [
        UserFactory(username="none", teams=[]),
        UserFactory(username="nocal", teams=[a]),
        UserFactory(username="two", teams=[c, b, a]),
        UserFactory(username="gamma", teams=[c]),
    ]
    zones = [team_time_zone(user) for user in users]
    assert zones == [_orm_zone(user) for user in users]
    assert zones == [settings.TIME_ZONE, settings.TIME_ZONE, "Asia/Tokyo", "Europe/Riga"]
