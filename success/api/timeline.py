"""GET /api/v1/customers/{id}/timeline/ and /api/v1/organizations/{id}/timeline/: one
history across channels, newest first, a page at a time (success.timeline)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import STAFF
from customers.models import Customer

from ..timeline import (
    SOURCES,
    Cursor,
    timeline,
    timeline_customers_visible_to,
    timeline_organizations_visible_to,
)

PAGE_SIZE, MAX_PAGE_SIZE = 25, 100


class EntrySerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=[s.name for s in SOURCES])
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    title = serializers.CharField()
    detail = serializers.CharField()
    state = serializers.CharField()
    ticket_id = serializers.IntegerField(allow_null=True)
    customer_id = serializers.IntegerField(allow_null=True)


class TimelinePageSerializer(serializers.Serializer):
    results = EntrySerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="URL of the next page, or null.")


PARAMETERS = [
    OpenApiParameter("cursor", str, description="From the previous page's `next`."),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
        description="Entries per page.",
    ),
]


def _page_args(params) -> tuple[int, Cursor | None]:
    errors: dict[str, list[str]] = {
        name: ["Unknown parameter; this list takes: cursor, page_size."]
        for name in params
        if name not in ("cursor", "page_size")
    }
    size, cursor = PAGE_SIZE, None
    raw = params.get("page_size", str(PAGE_SIZE))
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_PAGE_SIZE):
        errors["page_size"] = [f"A whole number from 1 to {MAX_PAGE_SIZE}."]
    else:
        size = int(raw)
    if params.get("cursor"):
        try:
            cursor = Cursor.decode(params["cursor"])
        except ValueError as exc:
            errors["cursor"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return size, cursor


class _TimelineView(APIView):
    roles = {"read": STAFF}

    def customers(self, request, pk: int):
        raise NotImplementedError

    def get(self, request, pk: int):
        size, cursor = _page_args(request.query_params)
        page = timeline(self.customers(request, pk), request.user, limit=size, cursor=cursor)
        next_url = None
        if page.next is not None:
            query = request.query_params.copy()
            query["cursor"] = page.next.encode()
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        data = {"results": EntrySerializer(page.entries, many=True).data, "next": next_url}
        return Response(data)


class CustomerTimelineView(_TimelineView):
    """A customer's history across channels, newest first: tickets (with their messages'
    count and latest), follow-ups, surveys (managers), deliveries (managers), and the poor
    experiences that flag a customer at risk. Agents read the customers of tickets they see
    (404 for anyone else), and only those tickets."""

    def customers(self, request, pk: int):
        customer = get_object_or_404(timeline_customers_visible_to(request.user), pk=pk)
        return Customer.objects.filter(pk=customer.pk)

    @extend_schema(parameters=PARAMETERS, responses=TimelinePageSerializer)
    def get(self, request, pk: int):
        return super().get(request, pk)


class OrganizationTimelineView(_TimelineView):
    """The timeline of every customer of an organization (as for one customer)."""

    def customers(self, request, pk: int):
        organization = get_object_or_404(timeline_organizations_visible_to(request.user), pk=pk)
        return timeline_customers_visible_to(request.user).filter(organization=organization)

    @extend_schema(parameters=PARAMETERS, responses=TimelinePageSerializer)
    def get(self, request, pk: int):
        return super().get(request, pk)
