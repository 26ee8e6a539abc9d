from __future__ import annotations

import django_filters as filters
from django.db.models import Exists, OuterRef, Value
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from api.filters import IsoDateTimeFilter

from .. import search as ticket_search
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

    search = filters.CharFilter(
        method="filter_search",
        max_length=ticket_search.MAX_QUERY_LENGTH,
        help_text="Full-text search over subject, messages (internal notes for staff), tags, "
        "the requester's name and identities (partial: `kim@exa`), and the ticket number "
        "(`#123` or `123`). Results come best first (relevance, then newest), at most "
        f"{ticket_search.MAX_RESULTS}; other filters narrow them; not combinable with `ordering`.",
    )
    q = filters.CharFilter(
        method="filter_search",
        max_length=ticket_search.MAX_QUERY_LENGTH,
        help_text="Alias of `search`.",
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
            "search",
            "q",
        ]

    def filter_search(self, queryset, name, value):
        if name == "q" and self.data.get("search"):
            raise ValidationError({"q": ["Use `search` or its alias `q`, not both."]})
        if self.data.get("ordering"):
            raise ValidationError({"ordering": ["Search results come in relevance order."]})
        hits = ticket_search.search_tickets(user=self.request.user, text=value)
        if not hits:  # still annotated: the search pagination orders by it
            return queryset.none().annotate(search_position=Value(0))
        found = [hit.ticket_id for hit in hits]
        return queryset.filter(pk__in=found).annotate(
            search_position=ticket_search.ResultPosition(found)
        )

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
