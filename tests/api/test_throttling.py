from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.test import APIClient

from api.throttling import token_ident
from tests.conftest import assert_error, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(monkeypatch):
    from api.throttling import CredentialRateThrottle

    monkeypatch.setattr(CredentialRateThrottle, "THROTTLE_RATES", {"credential": "3/min"})


def test_over_budget_is_429_with_retry_after(three_per_minute, integration):
    client = client_for(integration)
    for _ in range(3):
        assert client.get("/api/v1/ping/").status_code == 200
    response = client.get("/api/v1/ping/")
    assert_error(response, 429, "throttled")
    # The first of the three leaves the one-minute window in (just under) a minute.
    assert 55 <= int(response["Retry-After"]) <= 60


def test_each_token_has_its_own_budget(three_per_minute, integration, other_integration):
    noisy, quiet = client_for(integration), client_for(other_integration)
    for _ in range(4):
        noisy.get("/api/v1/ping/")
    assert noisy.get("/api/v1/ping/").status_code == 429
    assert quiet.get("/api/v1/ping/").status_code == 200


def test_budget_is_kept_in_the_shared_redis(three_per_minute, integration):
    """Every worker counts in the same Redis log, so the budget holds across processes."""
    from django.core.cache import cache

    client = client_for(integration)
    client.get("/api/v1/ping/")
    client.get("/api/v1/ping/")
    token = integration.api_tokens.get()
    key = cache.make_key(f"throttle_credential_{token_ident(token.key_hash)}:log")
    redis = cache._cache.get_client(key)
    assert redis.zcard(key) == 2
    assert 0 < redis.pttl(key) <= 60_000


def test_refused_requests_do_not_use_the_budget(three_per_minute, integration):
    from django.core.cache import cache

    client = client_for(integration)
    statuses = [client.get("/api/v1/ping/").status_code for _ in range(10)]
    assert statuses == [200, 200, 200] + [429] * 7
    token = integration.api_tokens.get()
    key = cache.make_key(f"throttle_credential_{token_ident(token.key_hash)}:log")
    assert cache._cache.get_client(key).zcard(key) == 3


def test_a_warm_token_request_costs_one_redis_round_trip(integration, monkeypatch):
    """The cached token and the throttle step travel in one pipeline (api.authentication)."""
    from redis.connection import Connection

    client = client_for(integration)
    assert client.get("/api/v1/ping/").status_code == 200  # warm: the entry, the script
    sent = []
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counting)
    assert client.get("/api/v1/ping/").status_code == 200
    assert client.post("/api/v1/ping/", {"echo": 1}, format="json").status_code == 200
    assert len(sent) == 2


def test_a_request_its_role_refuses_still_counts(three_per_minute, integration):
    """The step is taken with the token lookup, before the permission check: stricter."""
    client = client_for(integration)
    assert client.get("/api/v1/teams/").status_code == 403
    assert [client.get("/api/v1/ping/").status_code for _ in range(3)] == [200, 200, 429]


def test_without_redis_the_local_memory_cache_still_throttles(
    settings, three_per_minute, integration
):
    """`make run` on SQLite has no Redis: DRF's own algorithm counts in local memory."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    client = client_for(integration)
    statuses = [client.get("/api/v1/ping/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/ping/")
    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


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


def _hammer(key: str, clients: int, requests: int) -> list[int]:
    """`clients` threads, each with its own connection, send `requests` requests at once."""
    from django.db import connection

    def worker() -> list[int]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        barrier.wait()
        try:
            return [client.get("/api/v1/ping/").status_code for _ in range(requests)]
        finally:
            connection.close()

    barrier = threading.Barrier(clients)
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(worker) for _ in range(clients)]
        return [code for future in futures for code in future.result()]


@pytest.mark.django_db(transaction=True)  # the threads' own connections see the token
def test_concurrent_clients_get_exactly_the_budget_through(monkeypatch):
    """8 clients x 60 requests against a 100/min budget in real Redis: exactly 100 pass (the
    check-and-record is one atomic script; DRF's read-modify-write let ~1.8x through)."""
    from accounts.services import api_token_create
    from api.throttling import CredentialRateThrottle
    from tests.factories import IntegrationFactory

    monkeypatch.setattr(CredentialRateThrottle, "THROTTLE_RATES", {"credential": "100/min"})
    _, key = api_token_create(user=IntegrationFactory(), name="burst")
    _, other_key = api_token_create(user=IntegrationFactory(), name="bystander")

    statuses = _hammer(key, clients=8, requests=60)

    assert len(statuses) == 480
    assert statuses.count(200) == 100
    assert statuses.count(429) == 380
    bystander = APIClient()
    bystander.credentials(HTTP_AUTHORIZATION=f"Token {other_key}")
    assert bystander.get("/api/v1/ping/").status_code == 200
