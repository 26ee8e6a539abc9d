"""What the desk stores for its agents: personal saved views, and the team calendars that give
an agent's time zone its default."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ViewSort(models.TextChoices):
    URGENCY = "urgency", _("Most urgent first")
    UPDATED = "updated", _("Last updated first")


class SavedView(models.Model):
    """A personal view: filters (validated against desk.ticket_lists.FILTERS) and a sort."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    filters = models.JSONField(default=dict, blank=True)
    sort = models.CharField(max_length=10, choices=ViewSort.choices, default=ViewSort.URGENCY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name


class TeamCalendar(models.Model):
    """The business calendar a team works by: its zone is its agents' default time zone."""

    team = models.OneToOneField("tickets.Team", on_delete=models.CASCADE, related_name="calendar")
    calendar = models.ForeignKey(
        "slas.BusinessCalendar", on_delete=models.PROTECT, related_name="teams"
    )

    def __str__(self) -> str:
        return f"{self.team}: {self.calendar}"
