from __future__ import annotations

import django_filters as filters
from django.db import connection

from api.filters import IsoDateTimeFilter, StrictBooleanFilter

from ..models import Delivery, FollowUp, FollowUpState, Survey


class DeliveryFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id")
    external_ref = filters.CharFilter()
    product = filters.CharFilter(method="filter_product", help_text="Deliveries including it.")
    delivered_since = IsoDateTimeFilter(field_name="delivered_at", lookup_expr="gte")
    delivered_before = IsoDateTimeFilter(field_name="delivered_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ["customer", "external_ref", "product", "delivered_since", "delivered_before"]

    def filter_product(self, queryset, name, value):
        if connection.vendor == "postgresql":
            return queryset.filter(products__contains=[value])  # jsonb @>, indexable
        return queryset.filter(products__icontains=f'"{value}"')  # SQLite: the JSON text


class FollowUpFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=FollowUpState.choices)
    rule = filters.NumberFilter(field_name="rule_id")
    customer = filters.NumberFilter(field_name="customer_id")
    due_before = IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = FollowUp
        fields = ["state", "rule", "customer", "due_before"]


class SurveyFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="customer_id")
    answered = StrictBooleanFilter(field_name="answered_at", lookup_expr="isnull", exclude=True)
    sent_since = IsoDateTimeFilter(field_name="sent_at", lookup_expr="gte")

    class Meta:
        model = Survey
        fields = ["customer", "answered", "sent_since"]
