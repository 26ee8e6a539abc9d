"""Integrations retry freely: the same Idempotency-Key never creates anything twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import IdempotencyRecord
from accounts.tasks import purge_expired_idempotency_keys
from tests.conftest import assert_error, client_for
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TICKET = {"subject": "Broken", "body": "It broke.", "requester": {"email": "kim@example.com"}}


def post(client, body=TICKET, key="key-1"):
    return client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_retry_with_same_key_and_body_returns_first_response_and_creates_nothing(
    integration_client,
):
    first = post(integration_client)
    second = post(integration_client)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_same_key_with_different_body_is_422_and_creates_nothing(integration_client):
    post(integration_client)
    response = post(integration_client, {**TICKET, "subject": "Other"})
    assert_error(response, 422, "idempotency_key_reused")
    assert Ticket.objects.count() == 1


def test_different_keys_create_separate_tickets(integration_client):
    post(integration_client, key="a")
    post(integration_client, key="b")
    assert Ticket.objects.count() == 2


def test_keys_are_scoped_to_the_caller(integration_client, other_integration_client):
    post(integration_client, key="shared")
    response = post(other_integration_client, key="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2


def test_failed_request_does_not_burn_the_key(integration_client):
    bad = post(integration_client, {**TICKET, "priority": "asap"}, key="k")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    good = post(integration_client, key="k")
    assert good.status_code == 201


def test_key_expires_after_24_hours(integration_client):
    post(integration_client)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = post(integration_client)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2


def test_purge_task_deletes_only_expired_keys(integration_client):
    with time_machine.travel(timezone.now() - timedelta(hours=30)):
        post(integration_client, key="old")
    post(integration_client, key="new")
    assert purge_expired_idempotency_keys.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_too_long_key_is_400(integration_client):
    assert_error(post(integration_client, key="x" * 300), 400, "invalid_idempotency_key")
    assert Ticket.objects.count() == 0


def test_key_works_on_every_post_endpoint(integration_client):
    body = {"identities": [{"kind": "email", "value": "z@example.com"}]}
    first = integration_client.post(
        "/api/v1/customers/", body, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    again = integration_client.post(
        "/api/v1/customers/", body, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_same_key_create_one_ticket(integration):
    """Real concurrent connections: the second request waits on the key, then replays."""
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (run with make test)")
    clients = [client_for(integration) for _ in range(6)]
    # every client uses its own token, so give them one credential to share the key scope
    shared = clients[0]._credentials
    for client in clients:
        client.credentials(**shared)
    results, barrier = [], threading.Barrier(len(clients))

    def run(client):
        barrier.wait()
        try:
            results.append(post(client, key="race").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [201] * len(clients)
    assert Ticket.objects.count() == 1
