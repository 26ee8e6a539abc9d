"""Serializer fields shared across apps."""

from __future__ import annotations

import re
from datetime import time

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

WALL_CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class LabelChoiceField(serializers.ChoiceField):
    """An IntegerChoices field spoken by its labels: stored 3, written and read as "high"."""

    def __init__(self, choices_class, **kwargs):
        self.choices_class = choices_class
        super().__init__(choices=[member.label for member in choices_class], **kwargs)

    def to_internal_value(self, data):
        label = super().to_internal_value(data)
        return next(member for member in self.choices_class if member.label == label)

    def to_representation(self, value):
        return self.choices_class(value).label


@extend_schema_field(
    {"type": "string", "pattern": WALL_CLOCK_PATTERN, "example": "09:00"},
)
class WallClockTimeField(serializers.Field):
    """A time of day as "HH:MM", read and written alike (business hours have no seconds).

    DRF's TimeField reads "9:5", "09:00:00.5" or "09:00+02:00" but writes "09:00", so no one
    format described both directions; the schema's pattern is now the whole truth."""

    default_error_messages = {"invalid": 'A time of day as "HH:MM", from 00:00 to 23:59.'}

    def to_internal_value(self, data) -> time:
        if not isinstance(data, str) or not re.fullmatch(WALL_CLOCK_PATTERN, data):
            self.fail("invalid")
        return time(int(data[:2]), int(data[3:]))

    def to_representation(self, value: time) -> str:
        return value.strftime("%H:%M")


class BriefUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


def require_json_types() -> None:
    """Text fields take JSON strings, boolean fields JSON booleans.

    DRF quietly turns `{"subject": 0}` into "0" and `{"active": 0}` into False. The schema
    says string or boolean, a client sending a number has a bug worth hearing about, and the
    schema fuzzer rightly flags the acceptance; so every CharField (and its subclasses: email,
    slug, URL, regex) refuses anything but a string, and every BooleanField refuses numbers.
    Form posts are unaffected: their values are strings ("true", "on"), still accepted.
    Installed once, from ProjectConfig.ready().
    """
    _strict(serializers.CharField, lambda data: isinstance(data, str))
    _strict(
        serializers.BooleanField,
        lambda data: isinstance(data, (bool, str)) or data is None,
    )


def _strict(field_class, accepts) -> None:
    original = field_class.to_internal_value
    if getattr(original, "is_strict", False):
        return

    def to_internal_value(self, data):
        if not accepts(data):
            self.fail("invalid")
        return original(self, data)

    to_internal_value.is_strict = True
    field_class.to_internal_value = to_internal_value
