"""Channels (configured entry points) and the raw inbound payloads they receive.

Raw first: every payload is an InboundMessage row before anything else happens, and the
unique (channel, dedupe_key) constraint is what makes a second delivery of the same payload
a no-op. Processing state lives on the row, so a failed payload waits there to be retried
or reprocessed rather than living only in the broker.
"""

from __future__ import annotations

from django.db import models

from ..choices import ChannelKind, Priority


class Channel(models.Model):
    """One configured entry point: a mailbox, a chat widget, a phone number, a social account.

    `settings` holds what differs per kind (validated by channels.config.clean_settings):
    email {address, from_name, imap{...}}, chat {widget_id, webhook_url, webhook_secret},
    phone {number}, social {platform, account, webhook_url, webhook_secret}.
    """

    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    name = models.CharField(max_length=100, unique=True)
    settings = models.JSONField(default=dict, blank=True)
    default_team = models.ForeignKey(
        "tickets.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL
    )
    is_active = models.BooleanField(default=True)
    # Lower-cased mailbox address of an email channel, copied from settings for lookups.
    address = models.CharField(max_length=254, blank=True, db_index=True)
    # IMAP poller position: the mailbox's UIDVALIDITY and the last UID stored as a row.
    imap_uid_validity = models.BigIntegerField(null=True, blank=True)
    imap_last_uid = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class InboundState(models.TextChoices):
    RECEIVED = "received", "Received (waiting to be processed)"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed (see error; can be reprocessed)"
    IGNORED = "ignored", "Ignored (auto-reply, bounce...)"


class InboundDoor(models.TextChoices):
    API = "api", "API"
    ANYMAIL = "anymail", "Email provider webhook (anymail)"
    IMAP = "imap", "IMAP poller"
    PROVIDER = "provider", "Provider webhook (its own format, signed)"


class InboundMessage(models.Model):
    """A payload exactly as it arrived, then what processing made of it."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="inbound")
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    door = models.CharField(max_length=10, choices=InboundDoor.choices, default=InboundDoor.API)
    # Raw RFC 822 bytes for email, the JSON document for the other channels.
    raw_bytes = models.BinaryField(null=True, blank=True)
    raw_json = models.JSONField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=500)
    received_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        "helpdesk.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # What an ignored payload is: "bounce:hard", "bounce:soft", "bounce", "auto_reply", ...
    classification = models.CharField(max_length=40, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "dedupe_key"], name="inbound_unique_per_channel"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "received_at"], name="inbound_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"


class ChannelThread(models.Model):
    """A key that finds a ticket on a channel: an email Message-ID (ours or the customer's),
    a chat or social conversation id. Unique per channel while not ended, so a Message-ID is
    unique per mailbox and a live conversation is one ticket; an ended chat conversation
    keeps its row and a reused id opens a new one."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="threads")
    key = models.CharField(max_length=500)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    last_message_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "key"],
                condition=models.Q(ended_at__isnull=True),
                name="thread_key_unique_per_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "-last_message_at"], name="thread_ticket_idx"),
            models.Index(
                fields=["last_message_at"],
                condition=models.Q(ended_at__isnull=True),
                name="thread_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} -> #{self.ticket_id}"
