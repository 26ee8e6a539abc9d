"""How tickets point at each other: a merged ticket at the ticket it was merged into, an
incident at its problem (and the problem's update for its incidents' requesters).

Registered with the tickets app through tickets/models.py (Django loads `<app>.models` only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TicketMerge(models.Model):
    """`source` was merged into `target`: the source is closed, its messages are shown in the
    target, its channel threads (email Message-IDs, chat and social conversations) lead to the
    target. Always one hop: merging a target elsewhere re-points the merges into it."""

    source = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="merge")
    target = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="merged_sources"
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="merge_not_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.source_id} -> #{self.target_id}"


class ProblemLink(models.Model):
    """An incident (one customer's ticket) caused by a problem (the defect, escalated once).
    `notified_message` is the one update its requester got when the problem was solved."""

    incident = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="problem_link"
    )
    problem = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="incident_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(incident=models.F("problem")), name="problem_not_own_incident"
            ),
        ]

    def __str__(self) -> str:
        return f"incident #{self.incident_id} of problem #{self.problem_id}"


class ProblemSettings(models.Model):
    """What a problem's solving does to its incidents: the public update each requester gets
    (placeholders allowed, tickets.placeholders; blank: the default text) and whether the
    incidents are solved with it."""

    problem = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="problem_settings"
    )
    update_body = models.TextField(blank=True)
    solve_incidents = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"settings of problem #{self.problem_id}"
