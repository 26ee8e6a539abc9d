"""`/api/v1/saved-views/`: an agent's personal ticket views (filters from one allow-list).

Each agent reads and writes only their own views (another's is a 404); integrations may not
call it. Writes go through desk.services, so the desk's "Save view" and the API share rules.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from accounts.permissions import STAFF
from api.pagination import CursorPagination
from core.unset import UNSET

from .. import services
from ..models import SavedView, ViewSort
from ..ticket_lists import BUILTINS

FILTERS_HELP = (
    "An object of filters, each optional: "
    f"`view` (a built-in view to narrow: {', '.join(BUILTINS)}), "
    "`status`, `priority`, `channel` (lists of values), `team` (id), "
    "`assignee` (a user id, `me` or `none`), `tag`, `sla_state` (`breached` or `ok`). "
    "Any other name or value is a 400."
)


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "view": {"type": "string", "enum": list(BUILTINS)},
            "status": {"type": "array", "items": {"type": "string"}},
            "priority": {"type": "array", "items": {"type": "string"}},
            "channel": {"type": "array", "items": {"type": "string"}},
            "team": {"type": "integer"},
            "assignee": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "tag": {"type": "string"},
            "sla_state": {"type": "string", "enum": ["breached", "ok"]},
        },
        "additionalProperties": False,
    }
)
class FiltersField(serializers.JSONField):
    pass


class SavedViewSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=80)
    filters = FiltersField(required=False, help_text=FILTERS_HELP)
    sort = serializers.ChoiceField(choices=ViewSort.choices, required=False)

    class Meta:
        model = SavedView
        fields = ["id", "name", "filters", "sort", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


def _service_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict)


class SavedViewViewSet(viewsets.ModelViewSet):
    """Personal saved views of the desk (its side list shows each with its count)."""

    serializer_class = SavedViewSerializer
    pagination_class = type("SavedViewPagination", (CursorPagination,), {"ordering": "id"})
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"read": STAFF, "write": STAFF}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return SavedView.objects.none()
        return SavedView.objects.filter(owner=self.request.user).order_by("id")

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            view = services.saved_view_create(
                owner=request.user,
                name=data.validated_data["name"],
                filters=data.validated_data.get("filters", {}),
                sort=data.validated_data.get("sort"),
            )
        except DjangoValidationError as exc:
            raise _service_errors(exc) from None
        return Response(self.get_serializer(view).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        view = self.get_object()
        data = self.get_serializer(view, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            view = services.saved_view_update(
                view=view,
                name=data.validated_data.get("name", UNSET),
                filters=data.validated_data.get("filters", UNSET),
                sort=data.validated_data.get("sort", UNSET),
            )
        except DjangoValidationError as exc:
            raise _service_errors(exc) from None
        return Response(self.get_serializer(view).data)

    def destroy(self, request, *args, **kwargs):
        services.saved_view_delete(view=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
