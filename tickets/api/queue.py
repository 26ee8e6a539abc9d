"""The agents' queue: what to work on next, and claiming it."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import STAFF

from .. import selectors, services
from ..models import Ticket
from .serializers import TicketSerializer

QUEUE_DEFAULT, QUEUE_MAX = 25, 100


class QueueTicketSerializer(TicketSerializer):
    sla_breached = serializers.BooleanField(
        read_only=True, help_text="A running SLA clock of the ticket is breached."
    )

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "sla_breached"]
        read_only_fields = fields


class QueueView(APIView):
    """Tickets of your teams that are open to work: breached first, then by next SLA due
    time, priority and age. The first `limit` only: a work list, not an archive."""

    roles = {"read": STAFF}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description=f"1-{QUEUE_MAX}, default {QUEUE_DEFAULT}."
            )
        ],
        responses=inline_serializer("Queue", fields={"results": QueueTicketSerializer(many=True)}),
    )
    def get(self, request):
        raw = request.query_params.get("limit", str(QUEUE_DEFAULT))
        if not raw.isdigit() or not 1 <= int(raw) <= QUEUE_MAX:
            raise serializers.ValidationError({"limit": [f"A number from 1 to {QUEUE_MAX}."]})
        tickets = selectors.with_list_relations(
            selectors.with_sla_breached(selectors.tickets_in_queue_of(request.user)), request.user
        )[: int(raw)]
        return Response({"results": QueueTicketSerializer(tickets, many=True).data})


class QueueClaimView(APIView):
    """Assign the most urgent unassigned ticket of your teams to yourself. Two agents claiming
    at once never get the same ticket. 204 when nothing is waiting."""

    roles = {"write": STAFF}

    @extend_schema(
        request=None,
        responses={
            200: QueueTicketSerializer,
            204: OpenApiResponse(description="Nothing is waiting in your queue."),
        },
    )
    def post(self, request):
        ticket = services.ticket_claim_next(agent=request.user)
        if ticket is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        fetched = selectors.with_list_relations(
            selectors.with_sla_breached(Ticket.objects.filter(pk=ticket.pk)), request.user
        ).get()
        return Response(QueueTicketSerializer(fetched).data)
