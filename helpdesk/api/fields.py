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
