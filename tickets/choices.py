"""The vocabularies tickets and their channels share (no models here, so both import it)."""

from __future__ import annotations

from django.db import models


class Priority(models.IntegerChoices):
    """Stored as integers so "most urgent first" is an index order; the API speaks names."""

    LOW = 1, "low"
    NORMAL = 2, "normal"
    HIGH = 3, "high"
    URGENT = 4, "urgent"

    @classmethod
    def from_name(cls, name: str) -> Priority:
        return {member.label: member for member in cls}[name]


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Live chat"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social media"
    WEB = "web", "Web"  # the customer portal and help center
    API = "api", "API"  # opened by an integration through the API
    # Providers that speak their own formats (tickets/channels/providers/): one adapter each.
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"
    MESSENGER = "messenger", "Messenger"
    INSTAGRAM = "instagram", "Instagram"
    SMS = "sms", "SMS"
