"""Goodwill endpoints: a ticket's gestures (staff record them), the requests managers decide,
and the limits managers set. Thin: validate, call one service, serialize."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import MANAGERS, STAFF
from api.pagination import CursorPagination
from tickets.selectors import tickets_visible_to

from .. import selectors, services
from ..models import GoodwillLimit
from .serializers import (
    DecisionSerializer,
    GestureCreateSerializer,
    GestureSerializer,
    LimitSerializer,
)


class TicketGoodwillView(APIView):
    """A ticket's goodwill gestures (newest first). POST records one: granted within your
    limit for the ticket's tier and the currency, else a request a manager decides (state
    `pending`). Either way it is on the ticket's audit trail and announced to webhooks."""

    roles = {"read": STAFF, "write": STAFF}

    def _ticket(self, request, pk: int):
        return get_object_or_404(
            tickets_visible_to(request.user).select_related("requester"), pk=pk
        )

    @extend_schema(responses=GestureSerializer(many=True))
    def get(self, request, pk: int):
        ticket = self._ticket(request, pk)
        gestures = selectors.ticket_gestures(ticket)
        return Response(GestureSerializer(gestures, many=True).data)

    @extend_schema(request=GestureCreateSerializer, responses={201: GestureSerializer})
    def post(self, request, pk: int):
        ticket = self._ticket(request, pk)
        data = GestureCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gesture = services.gesture_record(ticket=ticket, actor=request.user, **data.validated_data)
        return Response(GestureSerializer(gesture).data, status=status.HTTP_201_CREATED)


class GesturePagination(CursorPagination):
    ordering = ("-created_at", "-id")


class GestureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Gestures on the tickets you see (managers: all); `?state=pending` lists the requests
    waiting for a manager, who approves or declines each once."""

    serializer_class = GestureSerializer
    pagination_class = GesturePagination
    roles = {"read": STAFF, "approve": MANAGERS, "decline": MANAGERS}
    filterset_fields = {"state": ["exact"], "ticket": ["exact"], "kind": ["exact"]}

    def get_queryset(self):
        return selectors.gestures_visible_to(self.request.user)

    def _decide(self, request, approve: bool):
        gesture = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gesture = services.gesture_decide(
            gesture=gesture, actor=request.user, approve=approve, note=data.validated_data["note"]
        )
        return Response(GestureSerializer(gesture).data)

    @extend_schema(request=DecisionSerializer, responses=GestureSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Grant a waiting request (goodwill.granted); 409 once decided or for your own."""
        return self._decide(request, True)

    @extend_schema(request=DecisionSerializer, responses=GestureSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline a waiting request (goodwill.declined); 409 once decided."""
        return self._decide(request, False)


class LimitViewSet(viewsets.ModelViewSet):
    """Goodwill limits per role, tier and currency: the most one gesture may be without a
    manager's approval. A tier's own row wins over the any-tier row (tier null); an agent
    with neither may grant nothing on their own, a manager without a row is not limited."""

    serializer_class = LimitSerializer
    queryset = GoodwillLimit.objects.select_related("tier")
    pagination_class = None
    roles = {"read": STAFF, "write": MANAGERS}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.limit_save(**serializer.validated_data)

    def perform_update(self, serializer):
        instance = serializer.instance
        values = {
            "role": instance.role,
            "tier": instance.tier,
            "currency": instance.currency,
            "max_amount": instance.max_amount,
            **serializer.validated_data,
        }
        serializer.instance = services.limit_save(limit=instance, **values)
