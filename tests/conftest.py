"""Shared fixtures: users of each role with API clients, eager Celery, files in tmp."""

from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from config.celery import app as celery_app

from .factories import IntegrationFactory, ManagerFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def _eager_celery():
    """Most tests run tasks inline; tests about worker behaviour start a real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    return


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # PBKDF2 is slow on purpose; tests hash many passwords and prove nothing about it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttle counters and other cached state must not leak between tests (ids are reused).
    from django.core.cache import cache

    from automations.selectors import rules_cache_clear
    from core import process_cache
    from slas.selectors import policy_cache_clear
    from tickets.services.common import default_team_cache_clear
    from webhooks.subscriptions import subscriptions_cache_clear

    cache.clear()
    policy_cache_clear()
    subscriptions_cache_clear()
    rules_cache_clear()
    default_team_cache_clear()
    process_cache.clear_all()


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _, key = api_token_create(user=user, name="test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def team(db):
    return TeamFactory(name="Support", is_default=True)


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Billing")


@pytest.fixture
def agent(team):
    return UserFactory(username="alice", teams=[team])


@pytest.fixture
def other_agent(other_team):
    return UserFactory(username="olga", teams=[other_team])


@pytest.fixture
def manager(db):
    return ManagerFactory(username="mona")


@pytest.fixture
def integration(db):
    return IntegrationFactory(username="shop")


@pytest.fixture
def other_integration(db):
    return IntegrationFactory(username="chatwidget")


@pytest.fixture
def agent_client(agent):
    return client_for(agent)


@pytest.fixture
def other_agent_client(other_agent):
    return client_for(other_agent)


@pytest.fixture
def manager_client(manager):
    return client_for(manager)


@pytest.fixture
def integration_client(integration):
    return client_for(integration)


@pytest.fixture
def other_integration_client(other_integration):
    return client_for(other_integration)


@pytest.fixture
def anon_client():
    return APIClient()


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    """The response is the project's error shape with this status (and code / field)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == status
    assert {"code", "message", "fields"} <= set(error)
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in [f["field"] for f in error["fields"]], error
    return error


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright (tests/browser.py has the flags and the page helper)."""
    from playwright import sync_api

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):  # CI installs it (.ci/run); fail loudly, never skip
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
