"""Ticket, message, event, attachment and team endpoints: thin, they validate and call services."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.models import User
from accounts.permissions import EVERYONE, MANAGERS, STAFF
from api.pagination import CursorPagination
from core.unset import UNSET
from customers.selectors import customers_visible_to
from customers.services import customer_resolve

from .. import selectors, services
from ..attachments import AttachmentInput
from ..models import Attachment, Team, Ticket, TicketKind
from .filters import TicketFilter
from .serializers import (
    AttachmentSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    TeamSerializer,
    TicketCreateSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)


class OldestFirstPagination(CursorPagination):
    ordering = ("created_at", "id")


def _uploads(files) -> list[AttachmentInput]:
    return [AttachmentInput(f.name, f, f.content_type or "") for f in files]


def _field_error(name: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({name: [message]})


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tickets. Agents see their teams' tickets, integrations the tickets of their customers."""

    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    # next_due_at: the earliest running SLA due time; ordering by it lists only tickets with
    # a running clock (cursor pagination needs a non-null position).
    ordering_fields = ["created_at", "updated_at", "priority", "next_due_at"]
    ordering = "-created_at"
    roles = {
        "list": EVERYONE,
        "retrieve": EVERYONE,
        "create": EVERYONE,
        "partial_update": STAFF,
        "messages": EVERYONE,
        "events": STAFF,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    max_body_bytes = 25 * 1024 * 1024  # creates and messages may carry attachments

    def get_queryset(self) -> QuerySet:
        visible = selectors.tickets_visible_to(self.request.user)
        if "next_due_at" in self.request.query_params.get("ordering", ""):
            visible = visible.filter(next_due_at__isnull=False)
        if self.action in ("messages", "events"):
            return visible  # only the permission check; the relations are not serialized
        return selectors.with_list_relations(visible, self.request.user)

    def _fetch(self, pk: int):
        """The ticket as the response shows it, right after a write the caller was allowed
        to make (which may have moved it out of their sight, e.g. to another team)."""
        return selectors.with_list_relations(Ticket.objects.all(), self.request.user).get(pk=pk)

    def _team(self, team_id: int | None) -> Team | None:
        if team_id is None:
            return None
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise _field_error("team_id", f"Team {team_id} does not exist.")
        return team

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs, user = data.validated_data, request.user
        if attrs["kind"] == TicketKind.PROACTIVE and not user.is_agent:
            raise _field_error("kind", "Only agents open proactive tickets.")
        integration = user if user.is_integration else None
        if "requester_id" in attrs:
            requester = customers_visible_to(user).filter(pk=attrs["requester_id"]).first()
            if requester is None:
                raise _field_error("requester_id", f"Customer {attrs['requester_id']} not found.")
        else:
            requester = customer_resolve(
                identities=data.fields["requester"].identities(attrs["requester"]),
                name=attrs["requester"].get("name", ""),
                source_integration=integration,
            )
        ticket = services.ticket_create(
            requester=requester,
            subject=attrs["subject"],
            body=attrs["body"],
            html_body=attrs["html_body"],
            channel=attrs["channel"],
            priority=attrs["priority"],
            type=attrs["type"],
            kind=attrs["kind"],
            team=self._team(attrs.get("team_id")),
            tags=attrs["tags"],
            external_ref=attrs["external_ref"],
            actor=user,
            source_integration=integration,
            attachments=_uploads(attrs["attachments"]),
        )
        return Response(
            TicketSerializer(self._fetch(ticket.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=TicketUpdateSerializer, responses=TicketSerializer)
    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = TicketUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = dict(data.validated_data)
        changes = {
            k: attrs[k] for k in ("subject", "status", "priority", "type", "tags") if k in attrs
        }
        if "team_id" in attrs:
            changes["team"] = self._team(attrs["team_id"])
        if "assignee_id" in attrs:
            assignee_id = attrs["assignee_id"]
            changes["assignee"] = None
            if assignee_id is not None:
                changes["assignee"] = User.objects.filter(pk=assignee_id, is_active=True).first()
                if changes["assignee"] is None:
                    raise _field_error("assignee_id", f"User {assignee_id} not found.")
        services.ticket_update(
            ticket=ticket, actor=request.user, expected_version=attrs.get("version"), **changes
        )
        return Response(TicketSerializer(self._fetch(ticket.pk)).data)

    @extend_schema(methods=["GET"], responses=MessageSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=MessageCreateSerializer, responses={201: MessageSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=OldestFirstPagination,
        filterset_class=None,
        ordering_fields=None,
    )
    def messages(self, request, pk=None):
        """The conversation, oldest first. POST: agents reply (public) or add an internal note;
        integrations add the customer's message."""
        ticket = self.get_object()
        user = request.user
        if request.method == "GET":
            messages = selectors.ticket_messages(ticket, include_internal=user.is_agent)
            page = self.paginator.paginate_queryset(messages, request, view=None)
            return self.paginator.get_paginated_response(MessageSerializer(page, many=True).data)

        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        if user.is_agent:
            message = services.ticket_reply(
                ticket=ticket,
                author=user,
                body=attrs["body"],
                html_body=attrs["html_body"],
                public=attrs["public"],
                status=attrs.get("status"),
                attachments=_uploads(attrs["attachments"]),
                expected_version=attrs.get("version"),
            )
        else:
            if not attrs["public"] or "status" in attrs:
                raise PermissionDenied("Integrations add customer messages only.")
            message = services.customer_message_add(
                ticket=ticket,
                body=attrs["body"],
                html_body=attrs["html_body"],
                attachments=_uploads(attrs["attachments"]),
            )
        message = selectors.ticket_messages(ticket, include_internal=True).get(pk=message.pk)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=TicketEventSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        pagination_class=OldestFirstPagination,
        filterset_class=None,
        ordering_fields=None,
    )
    def events(self, request, pk=None):
        """The audit trail: every change, who made it and when, with before/after values."""
        ticket = self.get_object()
        page = self.paginator.paginate_queryset(selectors.ticket_events(ticket), request, view=None)
        return self.paginator.get_paginated_response(TicketEventSerializer(page, many=True).data)


class AttachmentViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Attachments of the tickets you can see; internal notes' files are for agents only."""

    serializer_class = AttachmentSerializer
    roles = {"read": EVERYONE}
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return Attachment.objects.none()
        attachments = Attachment.objects.filter(
            message__ticket__in=selectors.tickets_visible_to(user).values("pk")
        )
        return attachments if user.is_agent else attachments.filter(message__is_public=True)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                description="The file, as a download."
            )
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        attachment = get_object_or_404(self.get_queryset(), pk=pk)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class TeamViewSet(viewsets.ModelViewSet):
    """Teams of agents; each has its queue. Managers create and change them."""

    serializer_class = TeamSerializer
    queryset = Team.objects.prefetch_related("members")
    roles = {"read": STAFF, "write": MANAGERS}
    ordering_fields = ["name"]
    ordering = "name"
    filterset_fields = ["is_default"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.team_save(
            team=Team(),
            name=data["name"],
            description=data.get("description", ""),
            is_default=data.get("is_default", False),
            members=data.get("members", []),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.team_save(
            team=serializer.instance,
            name=data.get("name", UNSET),
            description=data.get("description", UNSET),
            is_default=data.get("is_default", UNSET),
            members=data.get("members", UNSET),
        )
