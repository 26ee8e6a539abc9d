"""Proactive work: deliveries, follow-up rules, scheduled follow-ups, surveys, customer health.

Every follow-up is a row with a `due_at`, swept like an SLA clock (core.sweeps): the row
decides, never the broker, so a restart neither loses nor doubles one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from customers.models import Customer
from tickets.models import ChannelKind, Message, Team, Ticket


class Delivery(models.Model):
    """A product delivered to a customer, as a shop or fulfilment integration reports it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="deliveries")
    # Who reported it: the integration (or manager). External references are theirs, so they
    # are unique per source: a retried POST finds the first row instead of a second delivery.
    source = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deliveries"
    )
    external_ref = models.CharField(max_length=200)
    products = models.JSONField(default=list, blank=True)
    delivered_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-delivered_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["source", "external_ref"], name="delivery_unique_ref")
        ]
        indexes = [models.Index(fields=["customer", "-delivered_at"])]

    def __str__(self) -> str:
        return f"{self.external_ref} -> {self.customer_id}"


class Trigger(models.TextChoices):
    DELIVERY = "delivery", "A product was delivered"
    TICKET_SOLVED = "ticket_solved", "A ticket was solved"
    CUSTOMER_AT_RISK = "customer_at_risk", "The customer was flagged at risk"
    CUSTOMER_ONBOARDED = "customer_onboarded", "A new customer appeared"


class Action(models.TextChoices):
    EMAIL = "email", "Send an email from the template"
    SURVEY = "survey", "Send a satisfaction survey (ticket triggers)"
    OUTREACH = "outreach", "Open a proactive outreach ticket for a team"


class FollowUpRule(models.Model):
    """What happens how long after what, for whom: the hybrid model in rules (an email with
    getting-started links for self-service tiers, a personal call for the top tiers)."""

    name = models.CharField(max_length=120)
    trigger = models.CharField(max_length=24, choices=Trigger.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    active = models.BooleanField(default=True)
    # Conditions; empty means "any".
    tiers = models.ManyToManyField("slas.SlaTier", blank=True, related_name="followup_rules")
    channels = models.JSONField(default=list, blank=True)
    products = models.JSONField(default=list, blank=True)
    # Delay from the trigger; in business time on the customer's tier calendar when asked.
    delay_minutes = models.PositiveIntegerField(default=0)
    delay_in_business_time = models.BooleanField(default=False)
    # The message (Django template syntax: {{ customer.name }}, {{ delivery.external_ref }}, ...)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    # Outreach: the team whose queue gets the proactive ticket, and how it reaches out.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outreach_channel = models.CharField(
        max_length=10, choices=ChannelKind.choices, default=ChannelKind.PHONE
    )
    # Quiet rule: don't pile on a customer already talking to us or contacted recently.
    quiet_if_open_ticket = models.BooleanField(default=True)
    quiet_days = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["trigger", "name"]

    def __str__(self) -> str:
        return self.name


class FollowUpState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    # Handed to the outbox (an email, a survey link): sent once a transport accepted it.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (quiet rule or no longer relevant)"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed (retries exhausted)"


class FollowUp(models.Model):
    rule = models.ForeignKey(FollowUpRule, on_delete=models.PROTECT, related_name="followups")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="followups")
    # What triggered it, as a stable key ("delivery:12", "ticket:7", "at_risk:3:2026-11-25"):
    # unique per rule, so a replayed trigger never schedules twice.
    subject_key = models.CharField(max_length=80)
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.CASCADE)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="followups"
    )
    due_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=FollowUpState.choices, default=FollowUpState.SCHEDULED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    result_ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What left: the outbox row (its delivery state) and the email's Message-ID, on the
    # support mailbox's domain; a reply to it continues the conversation.
    outbox_message = models.ForeignKey(
        "outbox.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    # The ticket the customer's answer to this follow-up opened (or continued).
    reply_ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key"], name="followup_once_per_subject"
            )
        ]
        indexes = [
            # The sweep reads only this: scheduled rows by due time.
            models.Index(
                fields=["due_at"],
                name="followup_due_idx",
                condition=Q(state=FollowUpState.SCHEDULED),
            ),
            models.Index(fields=["customer", "-due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.subject_key} ({self.state})"


class Survey(models.Model):
    """One satisfaction survey per ticket, answered through a signed link without logging in."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="survey")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    # Set when a transport accepted the link's message (the outbox row of `message`), not
    # when the row was written: reports count a survey as sent only then.
    sent_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    csat = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    ces = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    nps = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-answered_at"]),
            # reports: surveys sent in a window (issue 14 part 6)
            models.Index(fields=["sent_at"], name="survey_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"survey of ticket {self.ticket_id}"


class ExperienceKind(models.TextChoices):
    SLA_BREACHED = "sla_breached", "An SLA was breached"
    LOW_CSAT = "low_csat", "CSAT at or below 2 of 5"
    HIGH_EFFORT = "high_effort", "CES at or above 6 of 7"
    DETRACTOR = "detractor", "NPS detractor (0-6)"
    REOPENED = "reopened", "A solved ticket was reopened"


class PoorExperience(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="poor_experiences"
    )
    kind = models.CharField(max_length=16, choices=ExperienceKind.choices)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL)
    # What it came from ("ticket:7", "survey:3"): the same cause is counted once.
    source_key = models.CharField(max_length=80)
    occurred_at = models.DateTimeField()
    # Set when the customer's health was recomputed with it (the health sweep's due set).
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "source_key"], name="poor_experience_once"
            )
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"]),
            models.Index(
                fields=["id"], name="poor_experience_uncounted", condition=Q(counted_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.source_key})"


class CustomerHealth(models.Model):
    """A customer's health: score 0-100 and the at-risk flag (see success/health.py)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    score = models.PositiveSmallIntegerField(default=100)
    at_risk = models.BooleanField(default=False)
    at_risk_since = models.DateTimeField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "customer health"
        indexes = [
            models.Index(
                fields=["at_risk_since"], name="health_at_risk_idx", condition=Q(at_risk=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}{' at risk' if self.at_risk else ''}"
