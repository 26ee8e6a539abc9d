from __future__ import annotations

import django_filters as filters
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from api.filters import IsoDateTimeFilter

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
    sla_state = filters.ChoiceFilter(
        choices=[("at_risk", "at_risk"), ("breached", "breached"), ("ok", "ok")],
        method="filter_sla_state",
        help_text="breached: a running SLA clock is breached; at_risk: warned, not yet "
        "breached; ok: neither.",
    )

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
            "sla_state",
        ]

    def filter_priority(self, queryset, name, value):
        return queryset.filter(priority=Priority.from_name(value))

    def filter_sla_state(self, queryset, name, value):
        # One filter() call per Exists, so each names one and the same clock row (through the
        # clocks' reverse relation: tickets sit below slas and do not import it).
        ticket = Ticket.objects.filter(pk=OuterRef("pk"))
        breached = Exists(
            ticket.filter(
                sla_clocks__fulfilled_at__isnull=True, sla_clocks__breached_at__isnull=False
            )
        )
        at_risk = Exists(
            ticket.filter(
                sla_clocks__fulfilled_at__isnull=True,
                sla_clocks__warned_at__isnull=False,
                sla_clocks__breached_at__isnull=True,
                sla_clocks__paused_since__isnull=True,
            )
        )
        if value == "breached":
            return queryset.filter(breached)
        if value == "at_risk":
            return queryset.filter(at_risk).exclude(breached)
        return queryset.exclude(breached).exclude(at_risk)

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        raise ValidationError({"assignee": ["Use a user id, `me` or `none`."]})
