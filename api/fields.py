"""Serializer fields shared across apps."""

from __future__ import annotations

from rest_framework import serializers


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
