"""`/api/v1/webhooks/`: managers register subscriptions and read each one's delivery log."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import MANAGERS
from api.pagination import CursorPagination

from . import subscriptions
from .models import WebhookDelivery, WebhookSubscription


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


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "state",
            "attempts",
            "last_status",
            "error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "payload",
        ]


class WebhookDeliveryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WebhookDeliverySerializer(many=True)


def _service_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict)


class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    """Outbound webhooks. Each delivery is a JSON POST with `X-Helpdesk-Signature:
    sha256=HMAC(secret, "<X-Helpdesk-Timestamp>.<body>")`, retried with exponential backoff for
    about a day (2xx stops it)."""

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
        page = paginator.paginate_queryset(subscription.deliveries.all(), request, view=self)
        return paginator.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
