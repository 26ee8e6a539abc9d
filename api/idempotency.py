"""Idempotency-Key for POST requests: a retry never does the work twice.

The record is inserted at the start of the request's transaction and filled with the
response before commit, so:
- a retry after success finds the record and gets the stored response back;
- a concurrent retry blocks on the unique index until the first request commits, then
  replays it (or, if the first rolled back, goes ahead itself);
- a request that failed (4xx/5xx) rolls back with its record, so the key can be reused.
Keys are scoped to the credential that sent them and expire after IDEMPOTENCY_KEY_TTL.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import IdempotencyRecord
from api.errors import error_response

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def _owner(request: HttpRequest) -> str:
    credential = request.headers.get("Authorization", "")
    if not credential:
        user = getattr(request, "user", None)
        credential = f"session:{user.pk}" if user is not None and user.is_authenticated else ""
    return hashlib.sha256(credential.encode()).hexdigest()


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path(), request.content_type or ""):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body), status=record.status_code, content_type=record.content_type
    )
    response[REPLAY_HEADER] = "true"
    return response


def begin(request: HttpRequest, key: str) -> IdempotencyRecord | HttpResponse:
    """Claim `key` for this request inside the current transaction.

    Returns the new record to fill in, or a response to send instead of running the view:
    the stored response (a replay), a 422 (same key, different request) or a 409.
    """
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        return error_response(
            400, "invalid_idempotency_key", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters."
        )
    owner, request_hash = _owner(request), _request_hash(request)
    fields = {"method": request.method, "path": request.path[:500], "request_hash": request_hash}
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(owner=owner, key=key, **fields)
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.select_for_update().get(owner=owner, key=key)
    if existing.created_at < timezone.now() - settings.IDEMPOTENCY_KEY_TTL:
        # Expired but not purged yet: the key is free again.
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.status_code, existing.content_type, existing.response_body = None, "", b""
        existing.created_at = timezone.now()
        existing.save()
        return existing
    if existing.request_hash != request_hash:
        return error_response(
            422, "idempotency_key_reused", f"This {HEADER} was used for a different request."
        )
    if existing.status_code is None:
        return error_response(
            409, "idempotency_key_in_use", f"A request with this {HEADER} is still in progress."
        )
    return replay(existing)


def finish(record: IdempotencyRecord, response: HttpResponse) -> None:
    record.status_code = response.status_code
    record.content_type = response.get("Content-Type", "")
    record.response_body = response.content
    record.save(update_fields=["status_code", "content_type", "response_body"])
