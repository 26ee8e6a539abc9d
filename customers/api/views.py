"""Customer and organization endpoints: thin, they validate and call services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.permissions import EVERYONE, MANAGERS, STAFF
from core.unset import UNSET

from .. import organizations, services
from ..selectors import customers_visible_to, organizations_visible_to
from .filters import CustomerFilter, OrganizationFilter
from .serializers import (
    CustomerCreateSerializer,
    CustomerMergeSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    OrganizationSerializer,
)


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers and their identities. Integrations see the customers they submitted."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["created_at", "updated_at"]
    ordering = "-created_at"
    roles = {
        "list": EVERYONE,
        "retrieve": EVERYONE,
        "create": EVERYONE,
        "partial_update": STAFF,
        "merge": MANAGERS,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return customers_visible_to(self.request.user)

    @extend_schema(request=CustomerCreateSerializer, responses={201: CustomerSerializer})
    def create(self, request, *args, **kwargs):
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_create(
            name=data.validated_data.get("name", ""),
            organization=data.validated_data.get("organization"),
            identities=data.identity_inputs(),
            source_integration=request.user if request.user.is_integration else None,
            locale=data.validated_data.get("locale", ""),
        )
        return Response(
            CustomerSerializer(self.get_queryset().get(pk=customer.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=CustomerUpdateSerializer, responses=CustomerSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change a customer. `tier` and `sla_policy` (the customer's own SLA, which
        re-measures their open tickets) are for managers, as on organizations."""
        customer = self.get_object()
        sla_fields = set(CustomerUpdateSerializer.SLA_FIELDS) & set(_keys(request.data))
        if sla_fields and not request.user.is_manager:
            raise PermissionDenied(
                f"Only managers may change a customer's {' and '.join(sorted(sla_fields))}."
            )
        data = CustomerUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {}
        for name in (
            "name",
            "organization",
            "locale",
            "is_organization_contact",
            *CustomerUpdateSerializer.SLA_FIELDS,
        ):
            if name in data.validated_data:
                changes[name] = data.validated_data[name]
        services.customer_update(
            customer=customer, add_identities=data.identity_inputs(), **changes
        )
        return Response(CustomerSerializer(self.get_queryset().get(pk=customer.pk)).data)

    @extend_schema(request=CustomerMergeSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge another customer (`source_id`) into this one: their tickets and identities
        move here and the other customer is removed. Managers only."""
        target = self.get_object()
        data = CustomerMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = services.customer_named_by(
            actor=request.user, customer_id=data.validated_data["source_id"], id_field="source_id"
        )
        services.customer_merge(source=source, target=target, actor=request.user)
        return Response(CustomerSerializer(self.get_queryset().get(pk=target.pk)).data)


def _keys(data) -> list[str]:
    return list(data) if hasattr(data, "keys") else []


class OrganizationViewSet(viewsets.ModelViewSet):
    """Organizations (companies) that customers belong to, with their email domains and tier."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering_fields = ["name", "created_at"]
    ordering = "name"
    roles = {"read": STAFF, "write": MANAGERS}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return organizations_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = organizations.organization_create(
            name=data["name"],
            domains=data.get("domain_names", []),
            tier=data.get("tier"),
            sla_policy=data.get("sla_policy"),
            notes=data.get("notes", ""),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = organizations.organization_update(
            organization=serializer.instance,
            name=data.get("name", UNSET),
            domains=data.get("domain_names", UNSET),
            tier=data.get("tier", UNSET),
            sla_policy=data.get("sla_policy", UNSET),
            notes=data.get("notes", UNSET),
        )
