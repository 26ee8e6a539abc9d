"""Channel configuration: settings validated by the kind's adapter (tickets/channels/registry.py),
and saving a channel."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.unset import UNSET, Unset
from customers.identities import normalize_phone
from webhooks.services import validate_webhook_url

from . import registry
from .models import Channel

# Settings values never shown back through the API: these, and every key that names a
# secret or a token (a provider's app_secret, bot_token, auth_token, verify_token...).
SECRET_KEYS = frozenset({"webhook_secret", "password", "secret", "token"})
SECRET_SUFFIXES = ("_secret", "_token", "_password")
MASK = "********"


def is_secret(key: str) -> bool:
    return key in SECRET_KEYS or key.endswith(SECRET_SUFFIXES)


def _clean_webhook(values: dict[str, Any], clean: dict[str, Any], errors: dict) -> None:
    if values.get("webhook_url"):
        try:
            validate_webhook_url(str(values["webhook_url"]))
        except ValidationError as exc:
            errors["settings.webhook_url"] = exc.messages
        if not values.get("webhook_secret"):
            errors["settings.webhook_secret"] = ["A webhook URL needs a secret to sign with."]


def clean_phone_number(values: dict[str, Any], clean: dict[str, Any], errors: dict) -> None:
    """A settings rule for kinds with a `number` (phone, SMS): any spelling, kept in E.164."""
    if values.get("number"):
        try:
            clean["number"] = normalize_phone(str(values["number"]))
        except ValidationError as exc:
            errors["settings.number"] = exc.messages


def clean_settings(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """Return the settings normalized for `kind` by its adapter's rules (allowed and required
    keys, its cleaners), or raise ValidationError naming each field (`settings.address`...)."""
    if not isinstance(values, dict):
        raise ValidationError({"settings": ["Settings must be an object."]})
    adapter = registry.adapter(kind)
    errors: dict[str, list[str]] = {}
    clean = dict(values)
    for key in sorted(set(values) - adapter.settings_allowed):
        errors[f"settings.{key}"] = [f"Not a setting of a {kind} channel."]
    for key in sorted(adapter.settings_required - {k for k, v in values.items() if v}):
        errors[f"settings.{key}"] = ["This setting is required."]
    # The kind's own checks, then webhook settings for every kind (one that does not allow
    # them has its "not a setting" error replaced or joined).
    for cleaner in (*adapter.settings_clean, _clean_webhook):
        cleaner(values, clean, errors)
    if errors:
        raise ValidationError(errors)
    return clean


def public_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as the API shows them: secrets masked."""
    shown = {k: (MASK if is_secret(k) and v else v) for k, v in values.items()}
    if isinstance(shown.get("imap"), dict):
        shown["imap"] = public_settings(shown["imap"])
    return shown


def _keep_secrets(new: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """`new` with each secret it leaves empty or masked taken from `stored`, nested settings
    (imap) included: a client (or the admin) sends back what it was shown."""
    merged = dict(new)
    for key, value in stored.items():
        if is_secret(key) and merged.get(key) in (None, "", MASK):
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _keep_secrets(merged[key], value)
    return merged


@transaction.atomic
def channel_save(
    *,
    channel: Channel,
    kind: str | Unset = UNSET,
    name: str | Unset = UNSET,
    settings: dict[str, Any] | Unset = UNSET,
    default_team: object = UNSET,
    default_priority: int | Unset = UNSET,
    is_active: bool | Unset = UNSET,
) -> Channel:
    """Create or change a channel. Settings are validated for the kind; an email channel's
    address must be unique among email channels (it is how inbound mail finds its channel).
    Omitted secrets keep their stored value, so a client can PATCH without resending them."""
    if kind is not UNSET:
        if channel.pk and kind != channel.kind:
            raise ValidationError({"kind": ["A channel's kind cannot change."]})
        channel.kind = kind
    if name is not UNSET:
        channel.name = name
    if settings is not UNSET:
        if not isinstance(settings, dict):
            raise ValidationError({"settings": ["Settings must be an object."]})
        channel.settings = clean_settings(channel.kind, _keep_secrets(settings, channel.settings))
    elif not channel.pk:
        channel.settings = clean_settings(channel.kind, {})
    for field, value in (
        ("default_team", default_team),
        ("default_priority", default_priority),
        ("is_active", is_active),
    ):
        if value is not UNSET:
            setattr(channel, field, value)
    # Only a kind whose adapter allows an `address` setting has one (email: the mailbox).
    channel.address = channel.settings.get("address", "")
    if (
        channel.address
        and Channel.objects.filter(kind=channel.kind, address=channel.address)
        .exclude(pk=channel.pk)
        .exists()
    ):
        raise ValidationError({"settings.address": ["Another channel uses this mailbox."]})
    channel.save()
    return channel
