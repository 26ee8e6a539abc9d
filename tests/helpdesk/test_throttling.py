from __future__ import annotations

import pytest

from tests.conftest import assert_error, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(monkeypatch):
    from helpdesk.api.throttling import CredentialRateThrottle

    monkeypatch.setattr(CredentialRateThrottle, "THROTTLE_RATES", {"credential": "3/min"})


def test_over_budget_is_429_with_retry_after(three_per_minute, integration):
    client = client_for(integration)
    for _ in range(3):
        assert client.get("/api/v1/ping/").status_code == 200
    response = client.get("/api/v1/ping/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_each_token_has_its_own_budget(three_per_minute, integration, other_integration):
    noisy, quiet = client_for(integration), client_for(other_integration)
    for _ in range(4):
        noisy.get("/api/v1/ping/")
    assert noisy.get("/api/v1/ping/").status_code == 429
    assert quiet.get("/api/v1/ping/").status_code == 200


def test_budget_is_kept_in_the_shared_cache(three_per_minute, integration):
    from django.core.cache import cache

    client = client_for(integration)
    client.get("/api/v1/ping/")
    token = integration.api_tokens.get()
    assert cache.get(f"throttle_credential_token:{token.pk}") is not None


def test_unreachable_cache_lets_requests_through(settings, integration):
    """Throttling protects the API; it must not take it down with Redis (found by the fault
    tests: every request was a 500 while Redis restarted)."""
    client = client_for(integration)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert client.get("/api/v1/ping/").status_code == 200
