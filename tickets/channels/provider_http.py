"""Calling a provider's HTTP API (Telegram Bot API, Twilio REST) from an outbox transport: one
httpx call, its failure sorted into what retrying can fix and what it cannot.

Permanent (core.retry.PermanentError, the row fails at once): a 4xx other than 408 and 429
(a bot blocked by the user, a number that cannot receive, a bad token). Transient (the outbox
retries with backoff, or after the provider's `retry_after`): 5xx, 408, 429, network errors,
timeouts. Errors never carry the request URL: a Telegram URL holds the bot token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from core.retry import PermanentError

if TYPE_CHECKING:
    import httpx

RETRIED_4XX = frozenset({408, 429})


class ProviderTransient(Exception):
    def __init__(self, message: str, status: int | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ProviderPermanent(PermanentError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def provider_error(
    provider: str, status: int, detail: str, *, retry_after: int | None = None
) -> Exception:
    """The exception for a provider's refusal with HTTP `status` (see the module's rule)."""
    message = f"{provider}: HTTP {status}: {detail}"[:1000]
    if 400 <= status < 500 and status not in RETRIED_4XX:
        return ProviderPermanent(message, status=status)
    return ProviderTransient(message, status=status, retry_after=retry_after)


def provider_request(provider: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request with the provider timeout; a network failure is transient."""
    # Imported here: httpx (with the rich/click/pygments of its command line) is for the
    # outbox worker's sends, not in every web worker (tests/config/test_lazy_imports.py).
    import httpx

    try:
        return httpx.request(method, url, timeout=settings.PROVIDER_HTTP_TIMEOUT_SECONDS, **kwargs)
    except httpx.HTTPError as exc:
        raise ProviderTransient(f"{provider}: {type(exc).__name__}") from exc


def json_or_empty(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
