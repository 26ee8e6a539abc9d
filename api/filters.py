"""The API's filter backend: django-filter, strict about booleans and instants.

django-filter's BooleanFilter reads anything it does not recognise (`?is_default=banana`) as
"no filter" and answers the whole list; a client with a typo deserves a 400 instead. And an
ISO 8601 instant may carry any UTC offset up to +-23:59, while PostgreSQL accepts +-15:59 and
years from 1: instants are converted to UTC when parsed, and one that cannot be is a 400.
"""

from __future__ import annotations

from datetime import UTC

import django_filters as filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.TypedChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return qs if value is None else super().filter(qs, value)


class UtcIsoDateTimeField(filters.fields.IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Not a valid instant.", code="invalid") from None


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class FilterSet(filters.rest_framework.FilterSet):
    FILTER_DEFAULTS = {
        **filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.DateTimeField: {"filter_class": IsoDateTimeFilter},
    }


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet
