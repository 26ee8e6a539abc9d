"""`/api/v1/webhooks/`: managers register subscriptions and read each one's delivery log."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import MANAGERS
from api.pagination import CursorPagination
from outbox.models import OutboxMessage, State

from . import services, subscriptions
from .models import WebhookSubscription


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=subscriptions.SUBSCRIBABLE), min_length=1
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=200,
        help_text="Signing secret; generated when omitted and then returned once, on create.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "secret", "active", "created_at", "updated_at"]


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="Keep it: it is not shown again.")


# The log keeps the shape it had before deliveries became outbox rows (DESIGN.md): pending,
# delivered, failed; `delivery_state` is the outbox state itself.
_LEGACY_STATE = {
    State.QUEUED: "pending",
    State.SENDING: "pending",
    State.SENT: "delivered",
    State.FAILED: "failed",
    State.UNDELIVERABLE: "failed",
}


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    delivery_state = serializers.ChoiceField(source="state", choices=State.choices)
    delivered_at = serializers.DateTimeField(source="sent_at", allow_null=True)
    payload = serializers.SerializerMethodField()

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "event",
            "state",
            "delivery_state",
            "attempts",
            "last_status",
            "error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "payload",
        ]

    def get_event(self, row: OutboxMessage) -> str:
        return row.payload.get("event", "")

    @extend_schema_field(serializers.ChoiceField(choices=["pending", "delivered", "failed"]))
    def get_state(self, row: OutboxMessage) -> str:
        return _LEGACY_STATE[row.state]

    @extend_schema_field(serializers.JSONField())
    def get_payload(self, row: OutboxMessage) -> dict:
        return row.payload.get("body", {})


class WebhookDeliveryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WebhookDeliverySerializer(many=True)


def _service_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict)


class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    """Outbound webhooks. Each delivery is a JSON POST with `X-Helpdesk-Signature:
    sha256=HMAC(secret, "<X-Helpdesk-Timestamp>.<body>")`, retried by the outbox with
    exponential backoff (2xx stops it; a 4xx other than 408/429 is permanent, not retried).
    `X-Helpdesk-Delivery` is the same on every attempt: delivery is at least once."""

    serializer_class = SubscriptionSerializer
    queryset = WebhookSubscription.objects.order_by("id")
    pagination_class = type("SubscriptionPagination", (CursorPagination,), {"ordering": "id"})
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"read": MANAGERS, "write": MANAGERS}

    @extend_schema(responses={201: SubscriptionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            subscription = subscriptions.subscription_create(
                created_by=request.user, **data.validated_data
            )
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        return Response(
            SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        data = self.get_serializer(subscription, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            subscriptions.subscription_update(subscription, **data.validated_data)
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(responses=WebhookDeliveryPageSerializer)
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """This subscription's delivery log, newest first."""
        subscription = self.get_object()
        paginator = type("LogPagination", (CursorPagination,), {"ordering": "-id"})()
        page = paginator.paginate_queryset(
            services.subscription_deliveries(subscription), request, view=self
        )
        return paginator.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
