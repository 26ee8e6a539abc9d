"""The persistent connection's health check (core.postgresql): no round trip for a quiet
socket, and a connection the server closed is still found and replaced before a request
uses it."""

from __future__ import annotations

import select
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def _other_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        user=db["USER"],
        host=db["HOST"],
        port=db["PORT"] or 5432,
        password=db["PASSWORD"] or None,
        autocommit=True,
    )


def _backend_query(pid: int) -> str:
    with _other_connection() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[
            0
        ]


@pytest.fixture
def health_checks():
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (run with make test)")
    before = connection.health_check_enabled
    connection.health_check_enabled = True
    yield
    connection.health_check_enabled = before


def test_a_quiet_connection_passes_the_health_check_without_a_query(health_checks):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid() /* the last query */")
        pid = cursor.fetchone()[0]
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert connection.connection is not None
    assert connection.health_check_done
    assert _backend_query(pid) == "SELECT pg_backend_pid() /* the last query */"


def test_a_connection_the_server_closed_is_replaced_before_use(health_checks):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with _other_connection() as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    poller = select.poll()
    poller.register(connection.connection.pgconn.socket, select.POLLIN)
    deadline = time.monotonic() + 5
    while not poller.poll(50) and time.monotonic() < deadline:
        pass  # the server's goodbye reaches the socket
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:  # a request's first query: on a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
