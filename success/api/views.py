"""Deliveries, follow-up rules, follow-ups, surveys and the at-risk/satisfaction reports."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import INTEGRATION, MANAGER, MANAGERS, STAFF
from api.pagination import CursorPagination
from customers.models import Customer
from customers.selectors import customers_visible_to
from customers.services import customer_resolve

from .. import selectors, services
from ..models import Delivery, FollowUp, FollowUpRule, Survey
from ..surveys import satisfaction_report
from .filters import DeliveryFilter, FollowUpFilter, SurveyFilter
from .serializers import (
    AtRiskCustomerSerializer,
    DeliveryCreateSerializer,
    DeliverySerializer,
    FollowUpRuleSerializer,
    FollowUpSerializer,
    SatisfactionReportSerializer,
    SurveySerializer,
)

SOURCES = frozenset({INTEGRATION, MANAGER})


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deliveries reported by shops and fulfilment integrations. Posting the same
    `external_ref` again answers 200 with the first delivery and schedules nothing."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    pagination_class = type("DeliveryPagination", (CursorPagination,), {"ordering": "-id"})
    roles = {"read": SOURCES, "create": SOURCES}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        return selectors.deliveries_visible_to(self.request.user)

    @extend_schema(
        request=DeliveryCreateSerializer,
        responses={201: DeliverySerializer, 200: DeliverySerializer},
    )
    def create(self, request, *args, **kwargs):
        data = DeliveryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs, user = data.validated_data, request.user
        if "customer_id" in attrs:
            customer = customers_visible_to(user).filter(pk=attrs["customer_id"]).first()
            if customer is None:
                raise ValidationError(
                    {"customer_id": [f"Customer {attrs['customer_id']} not found."]}
                )
        else:
            customer = customer_resolve(
                identities=data.fields["customer"].identities(attrs["customer"]),
                name=attrs["customer"].get("name", ""),
                source_integration=user if user.is_integration else None,
            )
        delivery, created = services.delivery_record(
            customer=customer,
            source=user,
            external_ref=attrs["external_ref"],
            delivered_at=attrs.get("delivered_at") or timezone.now(),
            products=attrs["products"],
        )
        return Response(
            DeliverySerializer(self.get_queryset().get(pk=delivery.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class FollowUpRuleViewSet(viewsets.ModelViewSet):
    """Follow-up rules: what happens how long after a delivery, a solved ticket, an at-risk
    flag or a new customer, per tier. Agents read, managers write."""

    serializer_class = FollowUpRuleSerializer
    queryset = FollowUpRule.objects.prefetch_related("tiers").order_by("id")
    pagination_class = type("RulePagination", (CursorPagination,), {"ordering": "id"})
    filterset_fields = ["trigger", "action", "active"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"read": STAFF, "write": MANAGERS}

    def perform_destroy(self, instance):
        # Rules with history are deactivated, not deleted: their follow-ups keep their rule.
        if instance.followups.exists():
            instance.active = False
            instance.save(update_fields=["active", "updated_at"])
        else:
            instance.delete()


class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Scheduled, sent, skipped and failed follow-ups, with their outcome and last error."""

    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    pagination_class = type("FollowUpPagination", (CursorPagination,), {"ordering": "-id"})
    queryset = FollowUp.objects.none()  # for the schema; requests read get_queryset
    roles = {"read": STAFF, "retry": MANAGERS}

    def get_queryset(self):
        return selectors.followups_visible_to(self.request.user)

    @extend_schema(request=None, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Send a failed follow-up again."""
        followup = services.followup_retry(self.get_object())
        return Response(FollowUpSerializer(self.get_queryset().get(pk=followup.pk)).data)


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Satisfaction survey responses (managers)."""

    serializer_class = SurveySerializer
    filterset_class = SurveyFilter
    pagination_class = type("SurveyPagination", (CursorPagination,), {"ordering": "-id"})
    queryset = Survey.objects.none()  # for the schema; requests read get_queryset
    roles = {"read": MANAGERS}

    def get_queryset(self):
        return selectors.surveys_visible_to(self.request.user)


class AtRiskReportView(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Customers flagged at risk, most recently flagged first, with the poor experiences that
    flagged them and their health score."""

    serializer_class = AtRiskCustomerSerializer
    pagination_class = type("AtRiskPagination", (CursorPagination,), {"ordering": "-flagged_at"})
    roles = {"read": MANAGERS}

    def get_queryset(self):
        return (
            Customer.objects.filter(health__at_risk=True)
            .annotate(flagged_at=F("health__at_risk_since"))
            .select_related("health")
            .prefetch_related("identities")
        )


class SatisfactionReportView(APIView):
    """CSAT and CES on 0-100 and NPS over surveys sent in a period (default: 90 days)."""

    roles = {"read": MANAGERS}

    @extend_schema(
        parameters=[
            OpenApiParameter("days", int, description="Period in days (1-730), default 90."),
        ],
        responses=SatisfactionReportSerializer,
    )
    def get(self, request):
        raw = request.query_params.get("days", "") or "90"
        if not raw.isdigit() or not 1 <= int(raw) <= 730:
            raise ValidationError({"days": ["A whole number of days from 1 to 730."]})
        since = timezone.now() - timezone.timedelta(days=int(raw))
        return Response(satisfaction_report(Survey.objects.filter(sent_at__gte=since)))
