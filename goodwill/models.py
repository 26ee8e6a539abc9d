"""Goodwill gestures on tickets (a fee waived, a discount, a replacement, a refund) and the
limits managers set per role and tier; above its limit a gesture waits for a manager."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class GestureKind(models.TextChoices):
    FEE_WAIVED = "fee_waived", _("Fee waived")
    DISCOUNT = "discount", _("Discount")
    REPLACEMENT = "replacement", _("Replacement")
    REFUND = "refund", _("Refund")
    OTHER = "other", _("Other")


class GestureState(models.TextChoices):
    PENDING = "pending", _("Waiting for a manager")
    GRANTED = "granted", _("Granted")
    DECLINED = "declined", _("Declined")


class LimitRole(models.TextChoices):
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")


class GoodwillLimit(models.Model):
    """Up to `max_amount` of `currency` per gesture, for a role, on a tier (none: any tier
    without a row of its own). Without a row an agent's gesture always waits for a manager."""

    role = models.CharField(max_length=10, choices=LimitRole.choices)
    tier = models.ForeignKey(
        "slas.SlaTier", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    currency = models.CharField(max_length=3)
    max_amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["role", "currency", "tier_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "tier", "currency"],
                condition=models.Q(tier__isnull=False),
                name="goodwill_limit_per_tier",
            ),
            models.UniqueConstraint(
                fields=["role", "currency"],
                condition=models.Q(tier__isnull=True),
                name="goodwill_limit_any_tier",
            ),
            models.CheckConstraint(
                condition=models.Q(max_amount__gte=0), name="goodwill_limit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.max_amount} {self.currency} ({self.tier or 'any tier'})"


class Gesture(models.Model):
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="goodwill_gestures"
    )
    # Kept as they were when the gesture was recorded, so the report sums by what applied.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="goodwill_gestures"
    )
    tier = models.ForeignKey(
        "slas.SlaTier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=GestureKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=GestureState.choices)
    # The limit that applied (None: no limit for the role, tier and currency).
    limit_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "-created_at"], name="gesture_ticket_idx"),
            models.Index(fields=["state", "-created_at"], name="gesture_state_idx"),
            models.Index(fields=["-created_at", "-id"], name="gesture_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="gesture_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} on #{self.ticket_id} ({self.state})"
