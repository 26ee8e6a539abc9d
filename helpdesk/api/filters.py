"""The API's filter backend: django-filter, but strict about booleans.

django-filter's BooleanFilter reads anything it does not recognise (`?is_default=banana`) as
"no filter" and answers the whole list; a client with a typo deserves a 400 instead.
"""

from __future__ import annotations

import django_filters as filters
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


class FilterSet(filters.rest_framework.FilterSet):
    FILTER_DEFAULTS = {
        **filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet
