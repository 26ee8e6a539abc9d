"""One JSON error shape for the whole API.

    {"error": {"status": 400, "code": "invalid", "message": "Invalid input.",
               "fields": [{"field": "subject", "code": "required",
                           "message": "This field is required."}]}}

`fields` lists every field error with a dotted path (`identities.0.value`); it is empty for
errors that are not about a field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.models import ProtectedError
from django.http import Http404, HttpResponse, JsonResponse
from django.views.defaults import bad_request, page_not_found, server_error
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ConflictError, UndeliverableError


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; retry shortly."
    default_code = "service_unavailable"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class Undeliverable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Nothing can carry this message to its recipient."
    default_code = "undeliverable"


def error_body(status_code: int, code: str, message: str, fields: list | None = None) -> dict:
    return {
        "error": {"status": status_code, "code": code, "message": message, "fields": fields or []}
    }


def field_errors(detail: dict) -> list[dict]:
    """Validation errors ({field: [messages]}) as the error shape's flat `fields` list."""
    return _flatten(detail, None)


def error_response(status_code: int, code: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse(error_body(status_code, code, message), status=status_code)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _flatten(detail: Any, codes: Any, path: str = "") -> list[dict]:
    """Turn DRF's nested error detail into a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        out: list[dict] = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") and not path else str(key)
            out.extend(
                _flatten(
                    value,
                    codes.get(key) if isinstance(codes, dict) else codes,
                    f"{path}.{name}" if path and name else (name or path),
                )
            )
        return out
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            code_list = codes if isinstance(codes, list) else [codes] * len(detail)
            return [
                {"field": path or None, "code": str(code or "invalid"), "message": str(item)}
                for item, code in zip(detail, code_list, strict=False)
            ]
        out = []
        for index, item in enumerate(detail):
            item_codes = codes[index] if isinstance(codes, list) and index < len(codes) else codes
            if item:  # DRF puts {} for list items that were valid
                out.extend(_flatten(item, item_codes, f"{path}.{index}" if path else str(index)))
        return out
    return [{"field": path or None, "code": str(codes or "invalid"), "message": str(detail)}]


class IdempotentAnswer(Exception):
    """Raised from a view's initial() by api.idempotency: send `response` instead of running
    the view (a replay, a 422 or a 409). The exception handler returns it as it is."""

    def __init__(self, response: HttpResponse):
        super().__init__(response.status_code)
        self.response = response


# Exceptions of Django and of our services, as the DRF exception that renders each.
_TRANSLATIONS: tuple[tuple[type | tuple[type, ...], Callable[[Any], Exception]], ...] = (
    (DjangoValidationError, lambda e: exceptions.ValidationError(as_serializer_error(e))),
    (ConflictError, lambda e: Conflict(detail=e.message, code=e.code)),
    (UndeliverableError, lambda e: Undeliverable(detail=e.message, code=e.code)),
    (
        ProtectedError,
        lambda e: Conflict(
            detail="This object is still in use and cannot be deleted.", code="in_use"
        ),
    ),
    (RequestDataTooBig, lambda e: PayloadTooLarge()),
    # The database went away: tell the client to retry instead of a bare 500.
    ((OperationalError, InterfaceError), lambda e: ServiceUnavailable()),
    (Http404, lambda e: exceptions.NotFound()),
    # A service's refusal keeps its reason.
    (PermissionDenied, lambda e: exceptions.PermissionDenied(detail=str(e) or None)),
)


def _translated(exc: Exception) -> Exception:
    for types, translate in _TRANSLATIONS:
        if isinstance(exc, types):
            return translate(exc)
    return exc


def api_exception_handler(exc: Exception, context: dict) -> Any:
    if isinstance(exc, IdempotentAnswer):
        return exc.response
    exc = _translated(exc)
    if isinstance(exc, DatabaseError):
        return None  # any other database error: a 500, through Django's handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail, exc.get_codes())
        response.data = error_body(response.status_code, "invalid", "Invalid input.", fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(response.status_code, str(code), str(detail))
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = "5"
    return response


def json_handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", "Not found.")
    return page_not_found(request, exception)


def json_handler500(request):
    if request.path.startswith("/api/"):
        return error_response(500, "server_error", "Internal server error.")
    return server_error(request)


def json_handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return error_response(400, "bad_request", "Bad request.")
    return bad_request(request, exception)
