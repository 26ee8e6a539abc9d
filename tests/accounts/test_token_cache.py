"""Token authentication reads the shared cache, not the token and user rows, on every request;
what the entry says is forgotten the moment the token or its user changes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import token_cache
from accounts.models import ApiToken, Role
from accounts.services import api_token_create, api_token_revoke, hash_token_key
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _warm(client: APIClient) -> None:
    assert client.get("/api/v1/ping/").status_code == 200


def test_a_warm_token_authenticates_without_reading_a_row(integration):
    _, key = api_token_create(user=integration, name="shop")
    client = _client(key)
    _warm(client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/ping/").status_code == 200
        assert client.post("/api/v1/ping/", {"echo": 1}, format="json").status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]] == []


def test_a_revoked_token_stops_working_on_the_next_request(integration):
    token, key = api_token_create(user=integration, name="shop")
    client = _client(key)
    _warm(client)
    api_token_revoke(token=token)
    assert_error(client.get("/api/v1/ping/"), 401, "authentication_failed")


def test_a_deleted_token_stops_working_on_the_next_request(integration):
    token, key = api_token_create(user=integration, name="shop")
    client = _client(key)
    _warm(client)
    ApiToken.objects.get(pk=token.pk).delete()
    assert_error(client.get("/api/v1/ping/"), 401, "authentication_failed")


def test_a_deactivated_user_is_refused_on_the_next_request(agent):
    _, key = api_token_create(user=agent, name="laptop")
    client = _client(key)
    _warm(client)
    agent.is_active = False
    agent.save()
    assert_error(client.get("/api/v1/ping/"), 401, "authentication_failed")


def test_a_role_change_applies_on_the_next_request(agent):
    _, key = api_token_create(user=agent, name="laptop")
    client = _client(key)
    assert client.get("/api/v1/tickets/").status_code == 200
    agent.role = Role.INTEGRATION
    agent.save(update_fields=["role"])
    assert client.get("/api/v1/me/").json()["role"] == "integration"
    agent.role = Role.MANAGER
    agent.save()
    assert client.get("/api/v1/me/").json()["roles"] == ["agent", "manager"]


def test_a_request_that_read_the_row_before_a_revocation_cannot_cache_it(integration):
    """The race: a request loads the live token, the revocation commits and buries the entry,
    then the request stores what it read. Entries are only added over nothing (SET NX), so the
    stale token is not stored and the next request reads the revoked row."""
    token, key = api_token_create(user=integration, name="shop")
    key_hash = hash_token_key(key)
    stale = ApiToken.objects.select_related("user").get(pk=token.pk)
    api_token_revoke(token=token)
    assert cache.add(token_cache._key(key_hash), stale, 300) is False
    assert token_cache.token_for(key_hash) is None
    assert_error(_client(key).get("/api/v1/ping/"), 401)


def test_a_sign_in_keeps_the_entry(agent):
    """Signing in to the desk stamps last_login only: nothing the entry says."""
    _, key = api_token_create(user=agent, name="laptop")
    client = _client(key)
    _warm(client)
    agent.save(update_fields=["last_login"])
    with CaptureQueriesContext(connection) as queries:
        _warm(client)
    assert [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]] == []


def test_without_the_cache_authentication_reads_the_row(integration, settings):
    _, key = api_token_create(user=integration, name="shop")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert _client(key).get("/api/v1/ping/").status_code == 200
    assert_error(_client("hd_not-a-key").get("/api/v1/ping/"), 401)
