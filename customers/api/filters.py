from __future__ import annotations

import django_filters as filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef

from api.filters import IsoDateTimeFilter

from ..identities import normalize_phone
from ..models import Customer, Organization
from ..selectors import identities_visible_to


class CustomerFilter(filters.FilterSet):
    email = filters.CharFilter(method="filter_email", help_text="Exact email, any case.")
    phone = filters.CharFilter(method="filter_phone", help_text="Any spelling; matched as E.164.")
    organization = filters.NumberFilter(field_name="organization_id")
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Name contains.")
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Customer
        fields = ["email", "phone", "organization", "q", "updated_since"]

    def _with_identity(self, queryset, kind: str, value: str):
        # Only identities the caller may see match: an integration cannot learn that an
        # email it never submitted belongs to a customer it knows by phone.
        identities = identities_visible_to(self.request.user).filter(
            customer=OuterRef("pk"), kind=kind, value=value
        )
        return queryset.filter(Exists(identities))

    def filter_email(self, queryset, name, value):
        return self._with_identity(queryset, "email", value.strip().lower())

    def filter_phone(self, queryset, name, value):
        try:
            number = normalize_phone(value)
        except ValidationError:
            return queryset.none()
        return self._with_identity(queryset, "phone", number)


class OrganizationFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Name contains.")
    tier = filters.NumberFilter(field_name="tier_id")
    domain = filters.CharFilter(field_name="domains__domain", lookup_expr="iexact")

    class Meta:
        model = Organization
        fields = ["q", "tier", "domain"]
