"""Rows the reports keep for themselves (they read every other app's tables, write only these).

An at-risk *episode* is the history the customer-health row does not keep: CustomerHealth holds
the current flag only (cleared when the customer recovers), so "how many customers were flagged
and how many recovered each week, and why" needs its own rows. `reports.services` keeps them
from the health rows (a sweep; see `at_risk_episodes_sync`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class AtRiskEpisode(models.Model):
    """One stretch of time a customer was flagged at risk: from the flag to the recovery."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="at_risk_episodes"
    )
    flagged_at = models.DateTimeField()
    recovered_at = models.DateTimeField(null=True, blank=True)
    # The poor-experience kinds that flagged the customer (ExperienceKind values), once each.
    causes = models.JSONField(default=list, blank=True)
    # The customer's tier when flagged (customer's own, else the organization's).
    tier = models.ForeignKey(
        "slas.SlaTier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-flagged_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "flagged_at"], name="at_risk_episode_once_per_flag"
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(recovered_at__isnull=True),
                name="at_risk_episode_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["flagged_at"], name="at_risk_episode_flagged_idx"),
            models.Index(
                fields=["recovered_at"],
                name="at_risk_episode_recovered_idx",
                condition=Q(recovered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id} at risk from {self.flagged_at:%Y-%m-%d}"
