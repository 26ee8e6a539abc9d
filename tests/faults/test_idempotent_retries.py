"""Clients that retry with the same Idempotency-Key after a dropped connection never create
duplicates, and get the first answer back.

A proxy between the client and gunicorn loses the answer: the request reaches the server and
is done, but the client's connection is closed before a byte of the response comes back, so
the client cannot tell whether its ticket exists. It retries with the same key (once, twice at
the same time, or while the first request is still running) and must end up with exactly one
ticket and that ticket's id. api/idempotency.py: a retry arriving while the first request
is in flight waits on the key's unique index and then replays the committed answer; if the
first request fails instead, its key is released with its rollback and the retry does the work.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from accounts.services import api_token_create
from api.idempotency import REPLAY_HEADER
from tests.factories import IntegrationFactory, TeamFactory
from tickets.models import Ticket

from .processes import database_url, gunicorn, service_env, wait_until
from .proxy import ResponseDroppingProxy

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    """gunicorn with enough workers for a request and two retries at once, behind the proxy
    (one for the module: the tests only add rows, which each test's flush removes)."""
    log = tmp_path_factory.mktemp("retries") / "gunicorn.log"
    with gunicorn(service_env(), workers=3, log=log) as base:
        port = int(base.rsplit(":", 1)[1])
        proxy = ResponseDroppingProxy(("127.0.0.1", port)).start()
        try:
            yield base, f"http://127.0.0.1:{proxy.port}", proxy
        finally:
            proxy.stop()


@pytest.fixture
def auth():
    TeamFactory(is_default=True)
    _, key = api_token_create(user=IntegrationFactory(), name="retries")
    return {"Authorization": f"Token {key}"}


def _ticket(subject: str) -> dict:
    return {"subject": subject, "body": "Order late.", "requester": {"email": "r@example.com"}}


def _post(base: str, body: dict, headers: dict, key: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/tickets/",
        json=body,
        headers={**headers, "Idempotency-Key": key},
        timeout=30,
    )


def _post_losing_answer(proxy_base: str, proxy: ResponseDroppingProxy, *args) -> None:
    proxy.drop_next()
    with pytest.raises(httpx.TransportError):
        _post(proxy_base, *args)


def test_retry_after_lost_answer_replays_the_same_ticket(server, auth):
    base, proxy_base, proxy = server
    body, key = _ticket("Lost answer"), str(uuid.uuid4())

    dropped_before = proxy.dropped
    _post_losing_answer(proxy_base, proxy, body, auth, key)
    assert proxy.dropped == dropped_before + 1
    assert Ticket.objects.filter(subject="Lost answer").count() == 1  # the work was done

    retry = _post(base, body, auth, key)
    again = _post(proxy_base, body, auth, key)

    assert retry.status_code == again.status_code == 201, retry.text
    assert retry.headers[REPLAY_HEADER] == "true"
    ticket = Ticket.objects.get(subject="Lost answer")
    assert retry.json()["id"] == again.json()["id"] == ticket.pk
    assert Ticket.objects.filter(subject="Lost answer").count() == 1


def test_concurrent_retries_after_lost_answer_create_nothing_more(server, auth):
    base, proxy_base, proxy = server
    body, key = _ticket("Lost twice"), str(uuid.uuid4())
    _post_losing_answer(proxy_base, proxy, body, auth, key)

    with ThreadPoolExecutor(4) as pool:
        retries = list(pool.map(lambda _: _post(base, body, auth, key), range(4)))

    assert {r.status_code for r in retries} == {201}
    assert {r.json()["id"] for r in retries} == {Ticket.objects.get(subject="Lost twice").pk}


def test_retry_with_same_key_but_other_request_is_refused(server, auth):
    base, proxy_base, proxy = server
    key = str(uuid.uuid4())
    _post_losing_answer(proxy_base, proxy, _ticket("First"), auth, key)

    other = _post(base, _ticket("Second"), auth, key)

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["First"]


@pytest.fixture
def tickets_locked():
    """Holds a lock that makes every ticket INSERT wait (reads go on), until released: the
    first request stays in flight after it claimed its Idempotency-Key."""
    conn = psycopg.connect(database_url())
    conn.execute("LOCK TABLE tickets_ticket IN SHARE ROW EXCLUSIVE MODE")
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def _lock_waiters() -> list[tuple[int, str]]:
    """(pid, query) of server sessions of the test database waiting for a lock."""
    with psycopg.connect(database_url(), autocommit=True) as conn:
        return conn.execute(
            "SELECT pid, query FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid() ORDER BY query_start"
        ).fetchall()


def _in_background(function, *args) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function(*args)), daemon=True)
    thread.start()
    return thread, result


def test_retry_while_first_request_in_flight_waits_then_replays(server, auth, tickets_locked):
    base, _, _ = server
    body, key = _ticket("In flight"), str(uuid.uuid4())
    first, first_result = _in_background(_post, base, body, auth, key)
    wait_until(lambda: len(_lock_waiters()) == 1)  # the first holds its key, waits to insert
    retry, retry_result = _in_background(_post, base, body, auth, key)
    waiters = wait_until(lambda: len(w := _lock_waiters()) == 2 and w)
    assert "idempotency" in waiters[1][1]  # the retry waits on the key, not on the ticket

    tickets_locked.rollback()
    first.join(30)
    retry.join(30)

    (first_response,), (retry_response,) = first_result, retry_result
    assert first_response.status_code == retry_response.status_code == 201
    assert REPLAY_HEADER not in first_response.headers
    assert retry_response.headers[REPLAY_HEADER] == "true"
    ticket = Ticket.objects.get(subject="In flight")
    assert first_response.json()["id"] == retry_response.json()["id"] == ticket.pk


def test_retry_while_first_request_in_flight_does_the_work_if_the_first_fails(
    server, auth, tickets_locked
):
    base, _, _ = server
    body, key = _ticket("First fails"), str(uuid.uuid4())
    first, first_result = _in_background(_post, base, body, auth, key)
    ((first_pid, _),) = wait_until(_lock_waiters)
    retry, retry_result = _in_background(_post, base, body, auth, key)
    wait_until(lambda: len(_lock_waiters()) == 2)

    with psycopg.connect(database_url(), autocommit=True) as conn:  # the first one fails
        conn.execute("SELECT pg_cancel_backend(%s)", [first_pid])
    first.join(30)
    tickets_locked.rollback()
    retry.join(30)

    (first_response,), (retry_response,) = first_result, retry_result
    assert first_response.status_code == 503  # its transaction and its key rolled back
    assert retry_response.status_code == 201
    assert REPLAY_HEADER not in retry_response.headers
    assert retry_response.json()["id"] == Ticket.objects.get(subject="First fails").pk


def test_many_clients_retrying_through_a_lossy_network_create_each_ticket_once(server, auth):
    """Forty tickets, each sent three times at once through a proxy that loses half of the
    answers, then retried until an answer arrives: forty tickets, each id the one answered."""
    _, proxy_base, proxy = server
    keys = [str(uuid.uuid4()) for _ in range(40)]
    dropped_before = proxy.dropped
    proxy.drop_next(60)

    def send(key: str) -> int:
        body = _ticket(f"lossy {key}")
        for _ in range(20):
            try:
                response = _post(proxy_base, body, auth, key)
            except httpx.TransportError:
                continue
            assert response.status_code == 201, response.text
            return response.json()["id"]
        raise AssertionError(f"no answer for {key}")

    with ThreadPoolExecutor(12) as pool:
        answered = list(pool.map(send, keys * 3))

    assert proxy.dropped - dropped_before >= 60
    by_key = dict(zip(keys * 3, answered, strict=True))
    for key, ticket_id in zip(keys * 3, answered, strict=True):
        assert by_key[key] == ticket_id  # every answer for a key names the same ticket
    subjects = dict(Ticket.objects.values_list("pk", "subject"))
    assert len(subjects) == len(keys)
    assert {subjects[by_key[key]] for key in keys} == {f"lossy {key}" for key in keys}
