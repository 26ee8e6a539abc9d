"""Outbound webhook deliveries: one row per POST we owe an external endpoint.

The row is written in the transaction of the change it announces and holds the whole state
(next attempt, attempts, last error), so a lost broker message or a restart delays a delivery
but never drops it: a sweep over `next_attempt_at` picks up whatever is due. Channel replies
(chat, social) use it today; subscriptions (URL + events + secret) can add rows the same way.
"""

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


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    event = models.CharField(max_length=60)
    url = models.URLField(max_length=1000)
    # Kept on the row so a delivery is signed with the secret valid when it was queued.
    secret = models.CharField(max_length=200)
    payload = models.JSONField()
    # Who asked for it: "channel:<id>" today, "subscription:<id>" for subscriptions.
    source = models.CharField(max_length=60, blank=True)
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state=DeliveryState.PENDING),
                name="webhook_due_idx",
            ),
            models.Index(fields=["subscription", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.url} ({self.state})"
