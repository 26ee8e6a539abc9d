from django.contrib import admin

from .models import TeamCalendar


@admin.register(TeamCalendar)
class TeamCalendarAdmin(admin.ModelAdmin):
    """Which business calendar a team works by: its zone is its agents' default time zone."""

    list_display = ["team", "calendar"]
