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


def require_json_strings() -> None:
    """Text fields take JSON strings only.

    DRF's CharField quietly turns `{"subject": 0}` into "0". The schema says string, a client
    sending a number has a bug worth hearing about, and the schema fuzzer rightly flags the
    acceptance; so every CharField (and its subclasses: email, slug, URL, regex) refuses
    anything that is not a string. Form posts are unaffected: their values are strings.
    Installed once, from HelpdeskConfig.ready().
    """
    original = serializers.CharField.to_internal_value
    if getattr(original, "requires_strings", False):
        return

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return original(self, data)

    to_internal_value.requires_strings = True
    serializers.CharField.to_internal_value = to_internal_value


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean only: DRF's BooleanField also takes 0, 1, "yes", "on"..., which the
    schema does not promise and which hides client bugs (fuzzing found it)."""

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)
