"""SLA configuration endpoints (managers write, agents read) and a ticket's SLA clocks."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import MANAGERS, STAFF
from tickets.selectors import tickets_visible_to

from .. import config, services
from ..models import BusinessCalendar, SlaClock, SlaPolicy, SlaTier
from .serializers import (
    CalendarSerializer,
    PolicySerializer,
    TicketSlaSerializer,
    TierSerializer,
)


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

    def _save(self, serializer, calendar: BusinessCalendar) -> None:
        data = serializer.validated_data
        current = CalendarSerializer(calendar).data if calendar.pk else {}

        def value(name, default):
            return data.get(name, current.get(name, default))

        inputs = CalendarSerializer.inputs(data)
        if calendar.pk and "intervals" not in self.request.data:
            inputs["intervals"] = CalendarSerializer.inputs(
                {
                    "intervals": [
                        {"weekday": i.weekday, "start_time": i.start_time, "end_time": i.end_time}
                        for i in calendar.intervals.all()
                    ]
                }
            )["intervals"]
        if calendar.pk and "holidays" not in self.request.data:
            inputs["holidays"] = [
                config.HolidayInput(h.date, h.name) for h in calendar.holidays.all()
            ]
        serializer.instance = config.calendar_save(
            calendar=calendar,
            name=value("name", ""),
            time_zone=value("time_zone", "UTC"),
            always_open=value("always_open", False),
            holiday_country=value("holiday_country", ""),
            holiday_subdivision=value("holiday_subdivision", ""),
            **inputs,
        )

    def perform_create(self, serializer):
        self._save(serializer, BusinessCalendar())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


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
        clocks = (
            SlaClock.objects.filter(ticket=ticket)
            .select_related("policy__calendar")
            .prefetch_related("policy__calendar__intervals", "policy__calendar__holidays")
            .order_by("id")
        )
        tier = services.tier_for(ticket)
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
