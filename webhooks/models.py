"""Outbound webhook deliveries: one row per POST we owe an external endpoint.

The row is written in the transaction of the change it announces and holds the whole state
(next attempt, attempts, last error), so a lost broker message or a restart delays a delivery
but never drops it: a sweep over `next_attempt_at` picks up whatever is due. Channel replies
(chat, social) use it today; subscriptions (URL + events + secret) can add rows the same way.
"""

from __future__ import annotations

from django.db import models


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
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="webhook_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.url} ({self.state})"
