"""Normalizing identities, so one person is one customer whatever way they typed it.

Emails compare case-insensitively (stored lower-cased), phone numbers as E.164, social
handles per platform, lower-cased and without a leading "@".
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .models import IdentityKind


def normalize_email(value: str) -> str:
    value = value.strip().lower()
    validate_email(value)
    return value


def normalize_phone(value: str, region: str | None = None) -> str:
    """Parse any common spelling (+44 20 7946 0958, 0044..., (020) 7946 0958 with a region)."""
    # phonenumbers is imported here, not with the module: every web worker imports this one,
    # few are asked for a phone number (tests/config/test_lazy_imports.py).
    import phonenumbers

    region = region or getattr(settings, "PHONE_DEFAULT_REGION", None)
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"Not a phone number: {value!r}.", code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"Not a valid phone number: {value!r}.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_handle(value: str) -> str:
    value = value.strip().lstrip("@").lower()
    if not value:
        raise ValidationError("A social handle cannot be empty.", code="blank")
    return value


def normalize(kind: str, value: str, platform: str = "") -> tuple[str, str]:
    """Return (value, platform) normalized for storage and lookup."""
    if kind == IdentityKind.EMAIL:
        return normalize_email(value), ""
    if kind == IdentityKind.PHONE:
        return normalize_phone(value), ""
    if kind == IdentityKind.SOCIAL:
        platform = platform.strip().lower()
        if not platform:
            raise ValidationError("A social identity needs its platform.", code="required")
        return normalize_handle(value), platform
    raise ValidationError(f"Unknown identity kind {kind!r}.", code="invalid_choice")


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()
