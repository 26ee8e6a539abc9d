"""Request handling shared by every API endpoint that writes."""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from api import idempotency
from api.errors import error_response

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _body_limit(request: HttpRequest, length: int) -> int:
    """The largest body the endpoint takes: the API default, or more where the endpoint says
    so (`max_body_bytes`: the file and raw-email doors; an endpoint only ever raises it).

    A body within the default needs no answer from the endpoint, so the URL is resolved only
    for a larger one: Django resolves it again for the view, and a second resolution on every
    write cost 22-35 us (timeit), 2-3% of a no-op POST."""
    default = settings.API_MAX_BODY_BYTES
    if length <= default:
        return default
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return default
    view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
    return max(default, getattr(view_class, "max_body_bytes", default))


class ApiWriteMiddleware:
    """Every API write runs in one transaction that is rolled back if the answer is 4xx/5xx.

    That makes "bad input changes nothing" a property of the stack rather than of each view,
    and lets the Idempotency-Key record (claimed by the view, after DRF's authentication and
    permission checks: see api.idempotency) commit atomically with the work it describes.
    Work that must leave the request (Celery tasks, webhooks) is queued with on_commit, so it
    never runs for a rolled-back request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in UNSAFE_METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "bad_request", "Invalid Content-Length header.")
        limit = _body_limit(request, length)
        if length > limit:
            return error_response(
                413, "payload_too_large", f"Request body is larger than {limit} bytes."
            )
        if request.method == "POST" and idempotency.HEADER in request.headers:
            # Read the body now: the key is claimed (and the body hashed) inside the view, after
            # DRF's checks, by which time parsing may have consumed the stream.
            request.body  # noqa: B018
        try:
            with transaction.atomic():
                response = self.get_response(request)
                record = getattr(request, idempotency.RECORD_ATTRIBUTE, None)
                if response.status_code >= 400:
                    transaction.set_rollback(True)
                elif record is not None:
                    idempotency.finish(record, response)
                return response
        except (OperationalError, InterfaceError):
            return error_response(
                503,
                "service_unavailable",
                "The database is unavailable; retry shortly.",
                Retry_After="5",
            )
