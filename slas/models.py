"""SLA tiers. The foundation holds the tier itself; policies, calendars and clocks build on it."""

from __future__ import annotations

from django.db import models


class SlaTier(models.Model):
    """A plan in the hybrid model, from self-service (low rank) to individual service (high)."""

    name = models.CharField(max_length=100, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="Higher is more hands-on.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name
