from __future__ import annotations

import django_filters as filters
from drf_spectacular.utils import extend_schema_field

from helpdesk.api.filters import IsoDateTimeFilter

from ..models import ChannelKind, Priority, Ticket, TicketKind, TicketType
from ..status import Status


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    """`?status=new,open`: any of a comma-separated list of choices."""


@extend_schema_field({"type": "string", "enum": [p.label for p in Priority]})
class PriorityFilter(filters.ChoiceFilter):
    """Priorities are spoken by name (`?priority=urgent`) although stored as ranks."""


class TicketFilter(filters.FilterSet):
    status = ChoiceInFilter(choices=Status.choices, help_text="One or more, comma-separated.")
    priority = PriorityFilter(
        choices=[(p.label, p.label) for p in Priority], method="filter_priority"
    )
    channel = filters.ChoiceFilter(choices=ChannelKind.choices)
    kind = filters.ChoiceFilter(choices=TicketKind.choices)
    type = filters.ChoiceFilter(choices=TicketType.choices)
    team = filters.NumberFilter(field_name="team_id")
    assignee = filters.CharFilter(
        method="filter_assignee", help_text="A user id, `me` or `none` (unassigned)."
    )
    requester = filters.NumberFilter(field_name="requester_id")
    organization = filters.NumberFilter(field_name="organization_id")
    tag = filters.CharFilter(field_name="tags__name")
    external_ref = filters.CharFilter()
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    created_since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Ticket
        fields = [
            "status",
            "priority",
            "channel",
            "kind",
            "type",
            "team",
            "assignee",
            "requester",
            "organization",
            "tag",
            "external_ref",
            "updated_since",
            "created_since",
        ]

    def filter_priority(self, queryset, name, value):
        return queryset.filter(priority=Priority.from_name(value))

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        from rest_framework.exceptions import ValidationError

        raise ValidationError({"assignee": ["Use a user id, `me` or `none`."]})
