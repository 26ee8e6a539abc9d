"""The Graph API client for sending (httpx): one POST, its errors sorted into permanent and
transient the way the outbox retries them.

Permanent (core.retry.PermanentError): a 4xx other than 408/429, unless Meta's error code is
one of its throttling codes (those are retried). Transient: 5xx, 408, 429, network errors and
timeouts. The base URL is settings.META_GRAPH_API_BASE (tests point it at a local server)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from core.retry import PermanentError

if TYPE_CHECKING:
    import httpx

RETRIED_STATUSES = frozenset({408, 429})
# Graph API error codes that mean "slow down" even on a 400 (rate limits, pair rate limit).
THROTTLING_CODES = frozenset({4, 17, 32, 613, 80007, 130429, 131048, 131056})


class GraphTransient(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class GraphPermanent(PermanentError):
    def __init__(self, message: str, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


def _error(response: httpx.Response) -> tuple[str, int | None]:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return response.text[:300] or response.reason_phrase, None
    details = (error.get("error_data") or {}).get("details", "")
    message = error.get("message") or response.reason_phrase
    code = error.get("code")
    text = f"{message} (code {code})" if code is not None else message
    return (f"{text}: {details}" if details else text), code


def _url(path: str) -> str:
    return f"{settings.META_GRAPH_API_BASE.rstrip('/')}/{path.lstrip('/')}"


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    message, code = _error(response)
    status = response.status_code
    if 400 <= status < 500 and status not in RETRIED_STATUSES and code not in THROTTLING_CODES:
        raise GraphPermanent(f"Graph API {status}: {message}", status, code)
    raise GraphTransient(f"Graph API {status}: {message}", status)


def _json(response: httpx.Response) -> dict[str, Any]:
    _raise_for(response)
    try:
        return response.json()
    except ValueError as exc:
        raise GraphTransient("Graph API answered with no JSON.", response.status_code) from exc


def _call(method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
    import httpx  # the outbox worker's, not every web worker's (provider_http.py)

    try:
        return httpx.request(
            method,
            url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=settings.META_GRAPH_TIMEOUT_SECONDS,
            **kwargs,
        )
    except httpx.HTTPError as exc:
        raise GraphTransient(f"Graph API unreachable: {exc}") from exc


def graph_post(path: str, *, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST `body` as JSON to {META_GRAPH_API_BASE}/{path} with the Bearer `token`; the
    decoded answer, or GraphPermanent / GraphTransient."""
    return _json(_call("POST", _url(path), token, json=body))


def graph_upload(path: str, *, token: str, data: dict, files: dict) -> dict[str, Any]:
    """POST a multipart form (e.g. WhatsApp's /{phone_number_id}/media upload)."""
    return _json(_call("POST", _url(path), token, data=data, files=files))


def graph_get(path: str, *, token: str) -> dict[str, Any]:
    """GET {META_GRAPH_API_BASE}/{path} (e.g. a WhatsApp media id: its download URL)."""
    return _json(_call("GET", _url(path), token))


def graph_download(url: str, *, token: str, max_bytes: int) -> bytes:
    """The bytes at a media URL the Graph API gave (it wants the same Bearer token); more
    than `max_bytes` is GraphPermanent (the file is withheld, not retried)."""
    import httpx

    try:
        with httpx.stream(
            "GET",
            url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=settings.META_GRAPH_TIMEOUT_SECONDS,
        ) as response:
            if not response.is_success:
                response.read()
                _raise_for(response)
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise GraphPermanent(f"The media is larger than {max_bytes} bytes.")
            return bytes(data)
    except httpx.HTTPError as exc:
        raise GraphTransient(f"Media download failed: {exc}") from exc
