"""Webhook subscriptions. Each delivery they cause is an outbox row (transport "webhook",
source "subscription:<id>"), written in the transaction of the change it announces: the
outbox's one sweep sends and retries it like every other message that leaves."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WebhookSubscription(models.Model):
    """A manager's registration: POST these event types to this URL, signed with this secret."""

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=1000)
    events = models.JSONField(default=list, help_text="Event types, e.g. ticket.created.")
    secret = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} -> {self.url}"
