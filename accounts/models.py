"""People who use the API and the desk, their API tokens, and stored idempotent responses."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    INTEGRATION = "integration", "Integration"


class User(AbstractUser):
    """An agent, a manager or an integration (a shop, a chat widget, a mail server...).

    Integrations are users with no usable password: they only ever hold API tokens.
    """

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    # The desk profile (desk/profile.py): the language the desk speaks to this agent and the
    # zone it shows times in. Blank: English; the time zone of their team's calendar.
    language = models.CharField(max_length=8, blank=True, default="")
    time_zone = models.CharField(max_length=64, blank=True, default="", help_text="IANA zone")

    @property
    def is_manager(self) -> bool:
        return self.is_active and (self.role == Role.MANAGER or self.is_superuser)

    @property
    def is_agent(self) -> bool:
        """Agents and managers both work tickets; managers also configure."""
        return self.is_active and (self.role in (Role.AGENT, Role.MANAGER) or self.is_superuser)

    @property
    def is_integration(self) -> bool:
        return self.is_active and self.role == Role.INTEGRATION and not self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer key for the API. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class IdempotencyRecord(models.Model):
    """The first successful response to a POST carrying an Idempotency-Key.

    Unique per (owner, key): a concurrent retry waits on the unique index until the first
    request commits, then replays its response. See api.idempotency.
    """

    owner = models.CharField(max_length=64, help_text="Hash of the credential that sent the key.")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
