"""Macros: named replies with placeholders (tickets.placeholders) that may also set a ticket's
status, priority, team and add tags. Personal (one agent's) or shared (managers share)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tickets.models import Priority
from tickets.status import Status

# What a macro may set the status to: closed is final and reached only from solved.
MACRO_STATUSES = (Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED)
MACRO_STATUS_CHOICES = [(status.value, status.label) for status in MACRO_STATUSES]


class Macro(models.Model):
    name = models.CharField(max_length=100)
    body = models.TextField(help_text="The reply; placeholders such as {{ customer.first_name }}.")
    # Personal macros belong to their owner; shared ones to everyone (owner: who shared it).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="macros"
    )
    is_shared = models.BooleanField(default=False)
    # What applying the macro changes besides the reply (blank / null / []: nothing).
    set_status = models.CharField(max_length=10, choices=MACRO_STATUS_CHOICES, blank=True)
    set_priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    set_team = models.ForeignKey(
        "tickets.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    add_tags = models.JSONField(default=list, blank=True)
    usage_count = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(is_shared=True), name="macro_shared_name"
            ),
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=models.Q(is_shared=False),
                name="macro_personal_name",
            ),
        ]
        indexes = [models.Index(fields=["owner", "is_shared"], name="macro_owner_idx")]

    def __str__(self) -> str:
        return self.name
