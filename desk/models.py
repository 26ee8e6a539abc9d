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


class QueueCount(models.Model):
    """How many live tickets (new, open, pending, on hold) a team and assignee hold in a status:
    the counts beside the built-in views, kept by PostgreSQL triggers on tickets_ticket
    (migration 0002) so a page reads a few rows instead of counting the open backlog.

    Rows are deltas (+1 when a ticket enters the bucket, -1 when it leaves): writers only
    INSERT, so concurrent ticket writes never wait on a shared counter row; the sum of a
    bucket's rows is its count. `desk.queue_counts.compact` (beat, every minute) folds them
    into one row per bucket. On SQLite nothing keeps them and the views count the tickets."""

    team_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)
    status = models.CharField(max_length=20)
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["team_id"], name="queue_count_team_idx"),
            models.Index(
                fields=["assignee_id"],
                name="queue_count_assignee_idx",
                condition=models.Q(assignee_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id}, assignee {self.assignee_id}, {self.status}: {self.n:+d}"
