"""OpenAPI post-processing: the shared error shape, the Idempotency-Key header on POSTs, and
query parameters that say an empty value means unset."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "fields"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "code", "message"],
                        "properties": {
                            "field": {"type": "string", "nullable": True},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}

IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": (
        "Retry-safe POST: a repeat with the same key and body returns the first response "
        "without doing anything again; the same key with another body is a 422. Keys live 24 h."
    ),
}

_DESCRIPTIONS = {
    "400": "Invalid input; `fields` lists each problem.",
    "401": "Missing or invalid credentials.",
    "403": "Your role does not allow this.",
    "404": "Not found (or not yours to see).",
    "409": "Conflicts with the current state (or the same Idempotency-Key is in flight).",
    "413": "Request body too large.",
    "422": "Idempotency-Key reused with a different request.",
    "429": "Too many requests; see Retry-After.",
    "503": "Temporarily unavailable; retry.",
}


def _statuses(path: str, method: str, operation: dict) -> list[str]:
    """The error statuses one operation can answer (adding the Idempotency-Key header to a
    POST and `allowEmptyValue` to query parameters on the way)."""
    statuses = ["401", "403", "429", "503"]
    if method in {"post", "put", "patch"}:
        statuses += ["400", "409", "413"]
    if method == "post":
        statuses.append("422")
        params = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in params):
            params.append(IDEMPOTENCY_HEADER)
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    for parameter in query:
        # An empty filter (`?status=`) means "no filter", as an HTML form sends it.
        parameter["allowEmptyValue"] = True
    if query and "400" not in statuses:
        statuses.append("400")  # a malformed filter, cursor or page size
    if "{" in path:
        statuses.append("404")
    return statuses


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Document the error shape on every operation, for the statuses it can answer."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code in _statuses(path, method, operation):
                responses.setdefault(
                    code,
                    {
                        "description": _DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return result
