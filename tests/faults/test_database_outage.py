"""The database goes away for a few seconds: requests fail fast with 503 and the error shape,
readiness says not ready, and everything recovers without restarting anything."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection

from accounts.services import api_token_create
from tests.factories import IntegrationFactory, TeamFactory

from .proxy import CuttableProxy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture
def server_behind_proxy():
    db = connection.settings_dict
    proxy = CuttableProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))).start()
    port = CuttableProxy._free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        "DEBUG": "0",
        "SECRET_KEY": "test-outage",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DB_CONNECT_TIMEOUT": "2",
        "LOG_LEVEL": "CRITICAL",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
            "--log-level",
            "critical",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(f"{base}/healthz") == 200)
        yield base, proxy
    finally:
        process.terminate()
        process.wait(timeout=10)
        proxy.stop()


def _get(url: str, **kwargs) -> int | None:
    try:
        return httpx.get(url, timeout=5, **kwargs).status_code
    except httpx.HTTPError:
        return None


def test_database_outage_gives_503_and_recovers_without_restart(server_behind_proxy):
    base, proxy = server_behind_proxy
    TeamFactory(is_default=True)
    _, key = api_token_create(user=IntegrationFactory(), name="outage")
    auth = {"Authorization": f"Token {key}"}
    ticket = {"subject": "Hi", "body": "x", "requester": {"email": "o@example.com"}}

    assert httpx.post(f"{base}/api/v1/tickets/", json=ticket, headers=auth).status_code == 201
    assert httpx.get(f"{base}/readyz").status_code == 200

    proxy.cut()
    started = time.monotonic()
    read = httpx.get(f"{base}/api/v1/tickets/", headers=auth, timeout=10)
    write = httpx.post(f"{base}/api/v1/tickets/", json=ticket, headers=auth, timeout=10)
    ready = httpx.get(f"{base}/readyz", timeout=10)
    assert time.monotonic() - started < 15, "requests must fail fast, not hang"
    for response in (read, write):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "service_unavailable"
        assert response.headers["Retry-After"]
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] != "ok"
    assert httpx.get(f"{base}/healthz").status_code == 200  # the process itself is alive

    proxy.restore()
    wait_until(lambda: _get(f"{base}/readyz") == 200)
    assert httpx.post(f"{base}/api/v1/tickets/", json=ticket, headers=auth).status_code == 201
    assert httpx.get(f"{base}/api/v1/tickets/", headers=auth).json()["results"]
