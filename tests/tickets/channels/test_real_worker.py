"""The real path: an API door commits the raw row, Redis carries the task, a Celery worker
processes it (no eager mode)."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from tickets.channels.models import InboundMessage, InboundState

from . import mails

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_worker():
    app.conf.task_always_eager = False
    app.control.purge()  # leftovers of an earlier interrupted run on this broker db
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_email_posted_to_the_door_is_processed_by_a_worker(
    integration_client, email_channel, real_worker
):
    response = integration_client.generic(
        "POST", "/api/v1/inbound/email/", data=mails.build(), content_type="message/rfc822"
    )
    assert response.status_code == 202, response.content
    row_id = response.json()["id"]
    assert wait_for(lambda: InboundMessage.objects.get(pk=row_id).state == InboundState.PROCESSED)
    row = InboundMessage.objects.get(pk=row_id)
    assert row.ticket.subject == "Order 1042 arrived damaged"
