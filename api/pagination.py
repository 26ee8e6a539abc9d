"""Cursor pagination: stable pages while rows are inserted, and no COUNT(*) over big tables."""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from api.params import int_schema, query_int


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

    def get_page_size(self, request):
        """A malformed page size is the client's mistake to hear about (400), not to have
        silently replaced by the default; a too large one is capped at `max_page_size`."""
        return query_int(
            request,
            self.page_size_query_param,
            default=self.page_size,
            minimum=1,
            maximum=self.max_page_size,
            cap=True,
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                # No maximum: a larger size is capped, not refused.
                parameter["schema"] = int_schema(minimum=1, default=self.page_size)
                parameter["description"] = (
                    f"Results per page, default {self.page_size}; above {self.max_page_size} "
                    f"reads as {self.max_page_size}."
                )
        return parameters

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {self.cursor_query_param: ["Invalid cursor: use the `next`/`previous` links."]}
            ) from None
