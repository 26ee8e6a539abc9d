"""Macro endpoints: CRUD (agents their personal macros, managers shared ones too) and, on a
ticket the caller may see, preview (the rendered reply) and apply (send it, set the fields)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import STAFF
from tickets import selectors as ticket_selectors
from tickets.api.serializers import MessageSerializer, TicketSerializer
from tickets.models import Ticket

from .. import selectors, services
from ..models import Macro
from .serializers import (
    MacroAppliedSerializer,
    MacroApplySerializer,
    MacroPreviewSerializer,
    MacroSerializer,
    MacroWriteSerializer,
)

WRITE_FIELDS = (
    "name",
    "body",
    "is_shared",
    "set_status",
    "set_priority",
    "set_team_id",
    "add_tags",
)


class MacroViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Macros: named replies with placeholders that may also set status, priority, team and
    add tags. Each agent sees the shared macros and their own; managers share."""

    serializer_class = MacroSerializer
    roles = {"read": STAFF, "write": STAFF}
    ordering_fields = ["name", "usage_count", "updated_at"]
    ordering = "name"
    filterset_fields = ["is_shared"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.macros_usable_by(self.request.user).select_related("owner")

    @extend_schema(request=MacroWriteSerializer, responses={201: MacroSerializer})
    def create(self, request, *args, **kwargs):
        data = MacroWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        macro = services.macro_save(macro=Macro(), actor=request.user, **dict(data.validated_data))
        return Response(MacroSerializer(macro).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MacroWriteSerializer(partial=True), responses=MacroSerializer)
    def partial_update(self, request, *args, **kwargs):
        macro = self.get_object()
        data = MacroWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        macro = services.macro_save(
            macro=macro,
            actor=request.user,
            **{name: attrs[name] for name in WRITE_FIELDS if name in request.data},
        )
        return Response(MacroSerializer(macro).data)

    def perform_destroy(self, instance):
        services.macro_delete(macro=instance, actor=self.request.user)


class _OnTicket(APIView):
    roles = {"read": STAFF, "write": STAFF}

    def _objects(self, request, ticket_id: int, macro_id: int):
        ticket = get_object_or_404(
            ticket_selectors.tickets_visible_to(request.user).select_related(
                "requester", "organization", "team"
            ),
            pk=ticket_id,
        )
        macro = get_object_or_404(selectors.macros_usable_by(request.user), pk=macro_id)
        return ticket, macro


MACRO_PATH = [
    OpenApiParameter("id", int, OpenApiParameter.PATH, description="The ticket."),
    OpenApiParameter("macro_id", int, OpenApiParameter.PATH, description="The macro."),
]


class MacroPreviewView(_OnTicket):
    """The macro's reply for this ticket (placeholders filled) and what it would set; changes
    nothing."""

    @extend_schema(parameters=MACRO_PATH, responses=MacroPreviewSerializer)
    def get(self, request, pk: int, macro_id: int):
        ticket, macro = self._objects(request, pk, macro_id)
        body = services.macro_render(macro=macro, ticket=ticket, agent=request.user)
        data = {"macro": macro.pk, "body": body, "changes": services.macro_changes(macro)}
        return Response(MacroPreviewSerializer(data).data)


class MacroApplyView(_OnTicket):
    """Send the macro's reply (as rendered, or `body` as edited) on the ticket's channel and
    apply its status, priority, team and tags, in one transaction; the macro's usage counts."""

    @extend_schema(
        parameters=MACRO_PATH,
        request=MacroApplySerializer,
        responses={201: MacroAppliedSerializer},
    )
    def post(self, request, pk: int, macro_id: int):
        ticket, macro = self._objects(request, pk, macro_id)
        data = MacroApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        applied = services.macro_apply(
            macro=macro,
            ticket=ticket,
            actor=request.user,
            body=attrs.get("body"),
            public=attrs["public"],
            status=attrs.get("status"),
            expected_version=attrs.get("version"),
        )
        fresh = ticket_selectors.with_list_relations(Ticket.objects.all(), request.user).get(
            pk=applied.ticket.pk
        )
        message = ticket_selectors.ticket_messages(fresh, include_internal=True).get(
            pk=applied.message.pk
        )
        body = {"ticket": TicketSerializer(fresh).data, "message": MessageSerializer(message).data}
        return Response(body, status=status.HTTP_201_CREATED)
