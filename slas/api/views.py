"""SLA configuration endpoints (managers write, agents read) and a ticket's SLA clocks."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import MANAGERS, STAFF
from api.schema import IN_USE
from tickets.selectors import tickets_visible_to

from .. import config, selectors, services
from ..models import BusinessCalendar, SlaPolicy, SlaTier
from .serializers import (
    CalendarSerializer,
    PolicySerializer,
    TicketSlaSerializer,
    TierSerializer,
)

CALENDAR_FIELDS = ("name", "time_zone", "always_open", "holiday_country", "holiday_subdivision")


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: IN_USE}))
class CalendarViewSet(viewsets.ModelViewSet):
    """Business calendars: time zone, weekly intervals (overnight allowed, no overlaps),
    holidays from a country/subdivision plus custom dates, or 24/7."""

    serializer_class = CalendarSerializer
    queryset = BusinessCalendar.objects.prefetch_related("intervals", "holidays")
    roles = {"read": STAFF, "write": MANAGERS}
    ordering_fields = ["name"]
    ordering = "name"
    filterset_fields = ["always_open"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def _given(self, serializer) -> dict:
        """The fields the request sent; intervals and holidays as the service's inputs."""
        data = serializer.validated_data
        given = {name: data[name] for name in CALENDAR_FIELDS if name in data}
        inputs = CalendarSerializer.inputs(data)
        given.update({name: inputs[name] for name in inputs if name in self.request.data})
        return given

    def perform_create(self, serializer):
        serializer.instance = config.calendar_save(
            calendar=BusinessCalendar(), **{"name": "", **self._given(serializer)}
        )

    def perform_update(self, serializer):
        serializer.instance = config.calendar_update(
            calendar=serializer.instance, **self._given(serializer)
        )


class PolicyViewSet(viewsets.ModelViewSet):
    """SLA policies with nested targets and escalation steps. Versioned: an edit (PUT/PATCH)
    writes a new version and answers with it (a new id); tickets keep the version they started
    with. Lists show current versions; `?lineage=` shows every version of one policy."""

    serializer_class = PolicySerializer
    roles = {"read": STAFF, "write": MANAGERS}
    ordering_fields = ["name", "created_at"]
    ordering = "name"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        policies = SlaPolicy.objects.all()
        if self.action == "list":
            lineage = self.request.query_params.get("lineage")
            policies = policies.filter(lineage=lineage) if lineage else config.current_policies()
        return policies.prefetch_related("targets", "escalations")

    @extend_schema(
        parameters=[
            OpenApiParameter("lineage", str, description="Every version of one policy (uuid).")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = config.policy_create(
            actor=self.request.user, **PolicySerializer.inputs(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = config.policy_revise(
            policy=serializer.instance,
            actor=self.request.user,
            **PolicySerializer.inputs(serializer.validated_data),
        )


class TierViewSet(viewsets.ModelViewSet):
    """Support tiers of the hybrid model, lowest rank (self-service) first."""

    serializer_class = TierSerializer
    queryset = SlaTier.objects.all()
    roles = {"read": STAFF, "write": MANAGERS}
    ordering_fields = ["rank", "name"]
    ordering = "rank"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = config.tier_save(tier=SlaTier(), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = config.tier_save(
            tier=serializer.instance, **serializer.validated_data
        )


class TicketSlaView(APIView):
    """A ticket's SLA clocks: state, due time, remaining business minutes, breached.
    POST (managers): measure the running ticket with the policy that applies now."""

    roles = {"read": STAFF, "write": MANAGERS}

    def _ticket(self, request, pk: int):
        return get_object_or_404(
            tickets_visible_to(request.user).select_related(
                "requester__tier", "organization__tier"
            ),
            pk=pk,
        )

    def _body(self, ticket) -> dict:
        clocks = selectors.ticket_clocks(ticket).order_by("id")
        tier = selectors.tier_for(ticket)
        return TicketSlaSerializer(
            {
                "ticket": ticket.pk,
                "tier": tier.name if tier else None,
                "outside_plan": ticket.outside_plan,
                "next_due_at": ticket.next_due_at,
                "clocks": clocks,
            },
            context={"now": timezone.now()},
        ).data

    @extend_schema(responses=TicketSlaSerializer)
    def get(self, request, pk: int):
        return Response(self._body(self._ticket(request, pk)))

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "SlaReapplied",
            fields={"changed": serializers.IntegerField(), "sla": TicketSlaSerializer()},
        ),
    )
    def post(self, request, pk: int):
        ticket = self._ticket(request, pk)
        changed = services.ticket_sla_reapply(ticket=ticket, actor=request.user)
        ticket.refresh_from_db()
        return Response({"changed": changed, "sla": self._body(ticket)})
