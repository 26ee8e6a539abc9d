"""One row per thing that leaves the system: an agent's reply, an automatic answer, a survey
link, a follow-up email, a chat/social delivery, an agent notification, a webhook event, a
portal sign-in mail.

The row is the truth about the send: it is written in the transaction of what it carries and
holds the whole envelope (built then, so a retry sends the same Message-ID / delivery id), the
state, the attempts and the next attempt. Celery only speeds it up (an attempt right after
commit); the one sweep (outbox.tasks.sweep) drains whatever is due. The outbox names no
upper app's model but tickets.Message (a string FK); what else a row carries is `source`
("followup:12", "subscription:3", "event:ticket.created", ...).
"""

from __future__ import annotations

from django.db import models


class State(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Nothing can carry it (no channel, no reachable identity): recorded, never attempted.
    UNDELIVERABLE = "undeliverable", "Undeliverable"


class Purpose(models.TextChoices):
    REPLY = "reply", "Agent reply"
    AUTOMATIC = "automatic", "Automatic answer"
    SURVEY = "survey", "Survey link"
    FOLLOWUP = "followup", "Follow-up email"
    NOTIFICATION = "notification", "Agent notification"
    WEBHOOK = "webhook", "Webhook event"
    SIGN_IN = "sign_in", "Portal sign-in mail"


class OutboxMessage(models.Model):
    transport = models.CharField(max_length=30, help_text="email, webhook, ...; blank: none.")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    # The channel kind it goes out on ("email", "chat", "social", ...), for people reading it.
    channel = models.CharField(max_length=20, blank=True)
    recipient = models.CharField(max_length=1000, blank=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=14, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # HTTP status / SMTP reply code of the last attempt, when there was one.
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    provider_id = models.CharField(
        max_length=500, blank=True, help_text="Message-ID (no <>), delivery id, provider id."
    )
    message = models.OneToOneField(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="delivery",
    )
    source = models.CharField(max_length=80, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the provider reported after accepting it (WhatsApp, Twilio, Messenger statuses).
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep reads only this: rows that may be attempted, by due time.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["queued", "sending"]),
                name="outbox_due_idx",
            ),
            # Providers' delivery statuses find the row by the id they gave it.
            models.Index(
                fields=["transport", "provider_id"],
                condition=~models.Q(provider_id=""),
                name="outbox_provider_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} via {self.transport or '-'} to {self.recipient} ({self.state})"
