"""`/api/v1/automations/...`: triggers, time rules, routing (managers only) and the caller's
own availability (agents). Views validate the shape and call one service."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import MANAGERS, STAFF
from api.pagination import CursorPagination
from tickets.selectors import tickets_visible_to

from .. import services
from ..models import AgentAvailability, TeamRouting, TimeRule, Trigger
from ..routing import availability_set
from .serializers import (
    AvailabilitySerializer,
    DryRunInputSerializer,
    DryRunSerializer,
    TeamRoutingSerializer,
    TimeRuleSerializer,
    TriggerSerializer,
)


def _pagination(name: str):
    return type(name, (CursorPagination,), {"ordering": ("position", "id")})


class _RuleViewSet(viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"read": MANAGERS, "write": MANAGERS}
    save = staticmethod(services.trigger_save)
    rule_arg = "trigger"

    def _save(self, rule, data: dict):
        return type(self).save(**{self.rule_arg: rule}, actor=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = self._save(self.queryset.model(), dict(data.validated_data))
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        data = self.get_serializer(rule, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = self._save(rule, dict(data.validated_data))
        return Response(self.get_serializer(rule).data)


class TriggerViewSet(_RuleViewSet):
    """Triggers: on an event, when the conditions hold, apply the actions (in `position`
    order, each at most once per event; every firing is on the ticket's audit trail)."""

    serializer_class = TriggerSerializer
    queryset = Trigger.objects.select_related("updated_by").order_by("position", "id")
    pagination_class = _pagination("TriggerPagination")
    filterset_fields = ["event", "active"]
    roles = {"read": MANAGERS, "write": MANAGERS, "dry_run": MANAGERS}

    @extend_schema(request=DryRunInputSerializer, responses=DryRunSerializer)
    @action(detail=False, methods=["post"], url_path="dry-run")
    def dry_run(self, request):
        """Which active triggers would fire for this ticket now (nothing is changed)."""
        data = DryRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket_id = data.validated_data["ticket"]
        ticket = tickets_visible_to(request.user).filter(pk=ticket_id).first()
        if ticket is None:
            raise ValidationError({"ticket": [f"Ticket {ticket_id} not found."]})
        wanted = data.validated_data.get("event")
        if wanted:
            event_types = [wanted]
        else:
            active = Trigger.objects.filter(active=True)
            event_types = sorted(set(active.values_list("event", flat=True)))
        rules = [
            rule
            for event in event_types
            for rule in services.triggers_matching(ticket=ticket, event=event)
        ]
        rules.sort(key=lambda r: (r.position, r.pk))
        return Response(DryRunSerializer({"ticket": ticket.pk, "rules": rules}).data)


class TimeRuleViewSet(_RuleViewSet):
    """Time rules: how long since the ticket was created, updated, pending, solved or last
    heard from the customer (calendar or business time), then the actions, once per ticket."""

    serializer_class = TimeRuleSerializer
    queryset = TimeRule.objects.select_related("updated_by").order_by("position", "id")
    pagination_class = _pagination("TimeRulePagination")
    filterset_fields = ["timer", "active"]
    save = staticmethod(services.time_rule_save)
    rule_arg = "rule"

    def perform_destroy(self, instance):
        # A rule that acted keeps its history: deactivated, not deleted.
        if instance.due_rows.filter(applied_at__isnull=False).exists():
            services.time_rule_save(rule=instance, actor=self.request.user, active=False)
        else:
            instance.delete()


class TeamRoutingViewSet(viewsets.ModelViewSet):
    """Automatic assignment per team: round robin or least loaded among available agents
    under capacity, optionally matching skills; what happens when an agent goes away."""

    serializer_class = TeamRoutingSerializer
    queryset = TeamRouting.objects.select_related("team", "updated_by").order_by("id")
    pagination_class = type("RoutingPagination", (CursorPagination,), {"ordering": "id"})
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"read": MANAGERS, "write": MANAGERS}

    def perform_create(self, serializer):
        team = serializer.validated_data["team"]
        if TeamRouting.objects.filter(team=team).exists():
            raise ValidationError({"team": [f"Team {team} already has routing."]})
        serializer.save(updated_by=self.request.user)

    def perform_update(self, serializer):
        team = serializer.validated_data.get("team")
        if (
            team is not None
            and TeamRouting.objects.filter(Q(team=team) & ~Q(pk=serializer.instance.pk)).exists()
        ):
            raise ValidationError({"team": [f"Team {team} already has routing."]})
        serializer.save(updated_by=self.request.user)


class AvailabilityView(APIView):
    """The caller's own availability for routing: available or away, capacity, skills."""

    roles = {"read": STAFF, "write": STAFF}

    @extend_schema(responses=AvailabilitySerializer)
    def get(self, request):
        row = AgentAvailability.objects.filter(agent=request.user).first()
        row = row or AgentAvailability(agent=request.user)
        return Response(AvailabilitySerializer(row).data)

    @extend_schema(request=AvailabilitySerializer, responses=AvailabilitySerializer)
    def post(self, request):
        """Set the caller available or away (and capacity, skills). Going away returns or
        reassigns open tickets where the team's routing says so."""
        data = AvailabilitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = availability_set(agent=request.user, **data.validated_data)
        return Response(AvailabilitySerializer(row).data)
