"""Ticket, message, event, attachment and team endpoints: thin, they validate and call services."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.permissions import EVERYONE, MANAGERS, STAFF
from api.pagination import CursorPagination
from api.parsers import JSONParser
from api.schema import IN_USE
from core.transactions import savepoints_joined
from core.unset import UNSET

from .. import selectors, services
from ..attachments import AttachmentInput
from ..models import Attachment, Team, Ticket
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
    ticket_data,
)


class OldestFirstPagination(CursorPagination):
    ordering = ("created_at", "id")


class SearchPagination(CursorPagination):
    """`?search=` results: in relevance order (the position the filter annotates)."""

    ordering = ("search_position",)

    def get_ordering(self, request, queryset, view):
        return self.ordering


# Creates and messages may carry attachments (multipart/form-data); every other write is JSON.
UPLOAD_PARSERS = [JSONParser, MultiPartParser]


def _uploads(files) -> list[AttachmentInput]:
    return [AttachmentInput(f.name, f, f.content_type or "") for f in files]


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
        "retry_delivery": STAFF,
        "events": STAFF,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    max_body_bytes = 25 * 1024 * 1024  # creates and messages may carry attachments

    def get_parsers(self):
        # DRF builds the parsers before it sets `action`; the schema generator sets it first.
        action = getattr(self, "action", None) or self.action_map.get(self.request.method.lower())
        if action == "create":
            return [parser() for parser in UPLOAD_PARSERS]
        return super().get_parsers()

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            params = self.request.query_params
            searching = self.action == "list" and (params.get("search") or params.get("q"))
            self._paginator = SearchPagination() if searching else self.pagination_class()
        return self._paginator

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

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        requester = attrs.get("requester", {})
        named = attrs["channel"].channel  # a configured channel: its team unless one is named
        # The request's transaction (ApiWriteMiddleware) rolls back on any error answer and
        # nothing here goes on after an error: the services open no savepoints of their own
        # (three SAVEPOINT and RELEASE pairs, six round trips, fewer).
        with savepoints_joined():
            ticket = services.ticket_open(
                actor=request.user,
                requester_id=attrs.get("requester_id"),
                requester_identities=data.fields["requester"].identities(requester),
                requester_name=requester.get("name", ""),
                team_id=attrs.get("team_id", named.default_team_id if named else None),
                subject=attrs["subject"],
                body=attrs["body"],
                html_body=attrs["html_body"],
                channel=attrs["channel"].kind,
                priority=attrs["priority"],
                type=attrs["type"],
                kind=attrs["kind"],
                tags=attrs["tags"],
                external_ref=attrs["external_ref"],
                attachments=_uploads(attrs["attachments"]),
                record_unsent=attrs["record_unsent"],
            )
        ticket = selectors.created_ticket_for_response(ticket, request.user)
        return Response(ticket_data(ticket), status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketUpdateSerializer, responses=TicketSerializer)
    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = TicketUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        fields = ("subject", "status", "priority", "type", "tags", "team_id", "assignee_id")
        services.ticket_edit(
            ticket=ticket,
            actor=request.user,
            expected_version=attrs.get("version"),
            **{name: attrs[name] for name in fields if name in attrs},
        )
        return Response(TicketSerializer(self._fetch(ticket.pk)).data)

    @extend_schema(methods=["GET"], responses=MessageSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=MessageCreateSerializer,
        responses={
            201: MessageSerializer,
            422: OpenApiResponse(
                description="`undeliverable`: nothing can carry this public reply to the "
                "customer; nothing was written (send `record_unsent: true` to store it anyway). "
                "`reply_window_closed`: past the channel's reply window (WhatsApp, Messenger: "
                "24 h after the customer's last message) only a template may be sent."
            ),
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=UPLOAD_PARSERS,
        pagination_class=OldestFirstPagination,
        filterset_class=None,
        ordering_fields=None,
    )
    def messages(self, request, pk=None):
        """The conversation, oldest first; each public outbound message carries its `delivery`
        (state, channel, recipient, attempts, error, sent_at). POST: agents reply (public) or
        add an internal note; integrations add the customer's message. A public reply that
        nothing can carry is a 422 `undeliverable` (nothing written) unless `record_unsent`."""
        ticket = self.get_object()
        user = request.user
        if request.method == "GET":
            messages = selectors.ticket_messages(ticket, include_internal=user.is_agent)
            page = self.paginator.paginate_queryset(messages, request, view=None)
            return self.paginator.get_paginated_response(MessageSerializer(page, many=True).data)

        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        message = services.ticket_message_post(
            ticket=ticket,
            author=user,
            body=attrs["body"],
            html_body=attrs["html_body"],
            public=attrs["public"],
            status=attrs.get("status"),
            attachments=_uploads(attrs["attachments"]),
            expected_version=attrs.get("version"),
            record_unsent=attrs["record_unsent"],
            template=attrs["template"],
        )
        message = selectors.ticket_messages(ticket, include_internal=True).get(pk=message.pk)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: MessageSerializer,
            400: OpenApiResponse(description="The message's delivery is not failed."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"messages/(?P<message_id>[0-9]+)/retry",
        pagination_class=None,
        filterset_class=None,
        ordering_fields=None,
    )
    def retry_delivery(self, request, pk=None, message_id=None):
        """Send a public message whose delivery failed again (agents of the ticket's team,
        managers): the same envelope (Message-ID, delivery id) is queued in the outbox."""
        ticket = self.get_object()
        message = get_object_or_404(
            selectors.ticket_messages(ticket, include_internal=True).filter(delivery__isnull=False),
            pk=message_id,
        )
        services.message_delivery_retry(message=message, actor=request.user)
        message = selectors.ticket_messages(ticket, include_internal=True).get(pk=message.pk)
        return Response(MessageSerializer(message).data)

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


@extend_schema_view(destroy=extend_schema(responses={204: None, 409: IN_USE}))
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
