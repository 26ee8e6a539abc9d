"""Idempotency-Key for POST requests: a retry never does the work twice.

The key is claimed once DRF has authenticated the caller and checked its permissions and
throttles (a hook on APIView.initial, installed from ProjectConfig.ready()): a caller who
may not POST here hears 401/403/429, never about its key, and a key is never claimed for a
request that will be refused anyway. The claim is one `INSERT ... ON CONFLICT DO NOTHING
RETURNING` inside the request's transaction (ApiWriteMiddleware; no savepoint: a conflict is
not an error), the record is filled with the response before commit, so:
- a retry after success finds the record and gets the stored response back;
- a concurrent retry blocks on the unique index until the first request commits, then
  replays it (or, if the first rolled back, goes ahead itself);
- a request that failed (4xx/5xx) rolls back with its record, so the key can be reused.
Keys are scoped to the credential that sent them and expire after IDEMPOTENCY_KEY_TTL.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import IntegrityError, connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import IdempotencyRecord
from api.errors import IdempotentAnswer, error_response
from core import rows

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MIN_KEY_LENGTH, MAX_KEY_LENGTH = 1, 255
RECORD_ATTRIBUTE = "idempotency_record"


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


_CLAIM_COLUMNS = ("owner", "key", "method", "path", "request_hash", "content_type")
_CLAIM_COLUMNS += ("response_body", "created_at")


def _claim_sql() -> str:
    quote = connection.ops.quote_name
    table = quote(IdempotencyRecord._meta.db_table)
    columns = ", ".join(quote(c) for c in _CLAIM_COLUMNS)
    values = ", ".join(["%s"] * len(_CLAIM_COLUMNS))
    conflict = f"{quote('owner')}, {quote('key')}"
    parts = ("INSERT INTO", table, f"({columns}) VALUES ({values})", "ON CONFLICT")
    return " ".join((*parts, f"({conflict})", "DO NOTHING RETURNING", quote("id")))


def _claim_row(owner: str, key: str, fields: dict[str, str]) -> IdempotencyRecord | None:
    """INSERT the record unless (owner, key) has one: one statement, no savepoint.

    ON CONFLICT DO NOTHING waits, like a plain INSERT, for a concurrent transaction holding
    the same key: if it commits, nothing is inserted (None); if it rolls back, ours is."""
    record = IdempotencyRecord(owner=owner, key=key, created_at=timezone.now(), **fields)
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(), [getattr(record, c) for c in _CLAIM_COLUMNS])
        row = cursor.fetchone()
    if row is None:
        return None
    record.pk = row[0]
    record._state.adding, record._state.db = False, connection.alias
    return record


def begin(request: HttpRequest, key: str) -> IdempotencyRecord | HttpResponse:
    """Claim `key` for this request inside the current transaction.

    Returns the new record to fill in, or a response to send instead of running the view:
    the stored response (a replay), a 422 (same key, different request) or a 409.
    """
    if not MIN_KEY_LENGTH <= len(key) <= MAX_KEY_LENGTH:
        return error_response(
            400,
            "invalid_idempotency_key",
            f"{HEADER} must be {MIN_KEY_LENGTH} to {MAX_KEY_LENGTH} characters.",
        )
    owner, request_hash = _owner(request), _request_hash(request)
    fields = {"method": request.method, "path": request.path[:500], "request_hash": request_hash}
    for _attempt in range(2):
        record = _claim_row(owner, key, fields)
        if record is not None:
            return record
        existing = IdempotencyRecord.objects.select_for_update().filter(owner=owner, key=key)
        existing = existing.first()
        if existing is not None:
            break
        # Purged (expired) between the two statements: the key is free, claim it again.
    else:
        raise IntegrityError(f"{HEADER} {key!r} could not be claimed")
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
    rows.update(
        record,
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        response_body=response.content,
    )


def claim(request: Request) -> None:
    """Claim the request's Idempotency-Key, if it is a POST to the API that carries one.

    Runs after authentication, permission and throttle checks. Leaves the record on the
    Django request for ApiWriteMiddleware to fill in (`finish`) when the answer is a success,
    or raises IdempotentAnswer with the response to send instead of running the view.
    """
    django_request = request._request
    if django_request.method != "POST" or not django_request.path.startswith("/api/"):
        return
    key = django_request.headers.get(HEADER)
    if key is None:
        return
    outcome = begin(django_request, key)
    if isinstance(outcome, HttpResponse):
        raise IdempotentAnswer(outcome)
    setattr(django_request, RECORD_ATTRIBUTE, outcome)


def install() -> None:
    """Make every DRF view claim the key right after its own checks (APIView.initial)."""
    original = APIView.initial
    if getattr(original, "claims_idempotency_key", False):
        return

    def initial(self, request, *args, **kwargs):
        original(self, request, *args, **kwargs)
        claim(request)

    initial.claims_idempotency_key = True
    APIView.initial = initial
