"""Managers' business rules: triggers (event -> conditions -> actions), time rules (how long
since X -> actions, driven by due rows) and automatic assignment (routing per team).

Conditions and actions are JSON, validated by automations.conditions / automations.actions
(unknown field, operator or action is refused before a rule is stored)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core import events


def _empty_conditions() -> dict:
    return {"all": [], "any": []}


class TriggerEvent(models.TextChoices):
    TICKET_CREATED = events.TICKET_CREATED, "Ticket created"
    TICKET_UPDATED = events.TICKET_UPDATED, "Ticket updated"
    MESSAGE_CREATED = events.MESSAGE_CREATED, "Message added"
    SLA_WARNING = events.SLA_WARNING, "SLA warning"
    SLA_BREACHED = events.SLA_BREACHED, "SLA breached"
    SURVEY_ANSWERED = events.SURVEY_ANSWERED, "Survey answered"
    CUSTOMER_AT_RISK = events.CUSTOMER_AT_RISK, "Customer at risk"


class Rule(models.Model):
    """Fields shared by triggers and time rules: what, in which order, who changed it."""

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0, help_text="Rules run in this order.")
    active = models.BooleanField(default=True)
    # {"all": [condition, ...], "any": [condition, ...]}; each condition is
    # {"field": ..., "operator": ..., "value": ...} (automations/conditions.py).
    conditions = models.JSONField(default=_empty_conditions, blank=True)
    # [{"type": ..., ...}, ...] (automations/actions.py), applied in order.
    actions = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Trigger(Rule):
    event = models.CharField(max_length=32, choices=TriggerEvent.choices)

    class Meta(Rule.Meta):
        indexes = [models.Index(fields=["event", "active", "position"], name="trigger_event_idx")]


class Timer(models.TextChoices):
    """What a time rule counts from. Each starts (or restarts) on a ticket event."""

    CREATED = "created", "Since created"
    UPDATED = "updated", "Since last updated"
    PENDING = "pending", "Since pending"
    SOLVED = "solved", "Since solved"
    CUSTOMER_MESSAGE = "customer_message", "Since the customer's last message"


class TimeUnit(models.TextChoices):
    MINUTES = "minutes", "Minutes"
    HOURS = "hours", "Hours"
    DAYS = "days", "Days"


class TimeRule(Rule):
    """After `after` `unit`s of the timer (business time on the ticket's SLA calendar when
    `business_time`: business minutes/hours, or business days = days with opening hours that
    are not holidays, ending at the same local time), apply the actions once per ticket."""

    timer = models.CharField(max_length=20, choices=Timer.choices)
    after = models.PositiveIntegerField(help_text="How long after the timer started.")
    unit = models.CharField(max_length=10, choices=TimeUnit.choices, default=TimeUnit.DAYS)
    business_time = models.BooleanField(
        default=False, help_text="Count business time on the ticket's SLA calendar."
    )


class TimeRuleDue(models.Model):
    """One row per (ticket, time rule): when the rule is due. Written when the event that
    starts the timer happens, deleted when its condition stops holding (status leaves
    pending...), marked applied once the sweep acted: the rule acts at most once per ticket."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="due_rows")
    due_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "rule"], name="timerule_due_ticket_rule")
        ]
        indexes = [
            # (due_at, id): the sweep's order, so a batch reads its rows off the index in
            # order, also when thousands share one due time (no sort of the whole group).
            models.Index(
                fields=["due_at", "id"],
                name="timerule_due_idx",
                condition=models.Q(applied_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on ticket {self.ticket_id} at {self.due_at:%Y-%m-%d %H:%M}"


class RoutingMethod(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded"


class OnAway(models.TextChoices):
    KEEP = "keep", "Keep the tickets"
    QUEUE = "queue", "Return them to the queue"
    REASSIGN = "reassign", "Reassign them by routing"


class TeamRouting(models.Model):
    """Automatic assignment for one team: new tickets of the team go to an available agent
    under capacity, optionally one whose skills match the ticket's tags."""

    team = models.OneToOneField("tickets.Team", on_delete=models.CASCADE, related_name="routing")
    active = models.BooleanField(default=True)
    method = models.CharField(
        max_length=16, choices=RoutingMethod.choices, default=RoutingMethod.ROUND_ROBIN
    )
    match_skills = models.BooleanField(default=False)
    on_away = models.CharField(max_length=10, choices=OnAway.choices, default=OnAway.KEEP)
    # Round robin: the agent who got the last ticket (the next one goes to whoever follows).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Routing for {self.team}"


class AgentAvailability(models.Model):
    """An agent's available/away toggle, capacity and skills (tags), for routing."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    available = models.BooleanField(default=False)
    capacity = models.PositiveIntegerField(default=10, help_text="Open tickets at most.")
    chat_capacity = models.PositiveIntegerField(default=3, help_text="Active chats at most.")
    skills = models.JSONField(default=list, blank=True, help_text="Tags this agent handles.")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "agent availability"

    def __str__(self) -> str:
        return f"{self.agent} ({'available' if self.available else 'away'})"
