"""POST /api/v1/tickets/bulk/: one action on many tickets, answered per ticket."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import STAFF

from .. import services
from ..services.bulk import ACTIONS, MAX_TICKETS


class BulkRequestSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_TICKETS,
        help_text=f"Ticket ids (1 to {MAX_TICKETS}); repeated ids count once.",
    )
    action = serializers.ChoiceField(choices=list(ACTIONS))
    value = serializers.JSONField(
        allow_null=True,
        help_text="assign: a user id (null: unassign); set_status: a status; add_tag: a tag "
        "name; move_team: a team id.",
    )


class BulkResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="ticket_id")
    ok = serializers.BooleanField()
    code = serializers.ChoiceField(
        choices=["updated", "unchanged", "not_found", "invalid", "conflict"]
    )
    message = serializers.CharField()


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)
    updated = serializers.IntegerField()
    failed = serializers.IntegerField()


class TicketBulkView(APIView):
    """Apply one action (assign, set_status, add_tag, move_team) to many tickets. Each ticket
    is changed through the same service as a PATCH, audited on its own; a ticket that cannot
    take the change (closed, a transition not allowed, an assignee outside its team, not
    yours to see: `not_found`) is reported in its row and the others still change (200).
    A bad action, value or id list is a 400 and changes nothing."""

    roles = {"write": STAFF}

    @extend_schema(
        request=BulkRequestSerializer,
        responses=BulkResponseSerializer,
        examples=[
            OpenApiExample(
                "Assign two tickets",
                value={"ids": [12, 15], "action": "assign", "value": 4},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = BulkRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        results = services.tickets_bulk_update(
            actor=request.user,
            ticket_ids=data.validated_data["ids"],
            action=data.validated_data["action"],
            value=data.validated_data["value"],
        )
        ok = sum(1 for r in results if r.ok)
        body = {
            "results": BulkResultSerializer(results, many=True).data,
            "updated": sum(1 for r in results if r.code == "updated"),
            "failed": len(results) - ok,
        }
        return Response(body)
