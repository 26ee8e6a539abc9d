"""Redis (broker and cache) going away does not take the API down: tickets are still accepted
once, with a 201, and the work they start waits in its rows for the sweeps.

Regression for two findings of test_worker_kill.py: the API throttle raised a 500 for every
request while its cache was unreachable, and a broker that refused the after-commit message
turned a committed ticket into a 500 (a client retrying without an Idempotency-Key then
created it twice).
"""

from __future__ import annotations

import httpx
import pytest

from accounts.services import api_token_create
from outbox.models import OutboxMessage
from outbox.models import State as DeliveryState
from tests.factories import IntegrationFactory, TeamFactory
from tickets.models import Ticket
from webhooks.subscriptions import subscription_create

from .processes import RedisServer, gunicorn, service_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_api_accepts_tickets_while_redis_is_down(settings, tmp_path):
    settings.WEBHOOKS_ALLOW_PRIVATE, settings.WEBHOOKS_REQUIRE_HTTPS = True, False
    TeamFactory(is_default=True)
    subscription_create(name="hook", url="http://127.0.0.1:9/hook", events=["ticket.created"])
    _, key = api_token_create(user=IntegrationFactory(), name="redis-down")
    auth = {"Authorization": f"Token {key}"}
    redis = RedisServer().start()
    env = service_env(CELERY_BROKER_URL=f"{redis.url}/0", REDIS_URL=f"{redis.url}/1")
    try:
        with gunicorn(env, workers=1, log=tmp_path / "gunicorn.log") as base:
            ticket = {"subject": "Up", "body": "x", "requester": {"email": "r@example.com"}}
            assert httpx.post(f"{base}/api/v1/tickets/", json=ticket, headers=auth).is_success

            redis.stop()
            down = {**ticket, "subject": "Down"}
            response = httpx.post(f"{base}/api/v1/tickets/", json=down, headers=auth, timeout=30)
            ready = httpx.get(f"{base}/readyz", timeout=30)
    finally:
        redis.stop()

    assert response.status_code == 201, response.text
    assert Ticket.objects.get(subject="Down").pk == response.json()["id"]
    assert ready.status_code == 503  # readiness tells the load balancer the truth
    # The webhook whose message the broker refused waits in its row for the sweep.
    waiting = OutboxMessage.objects.get(payload__body__ticket__id=response.json()["id"])
    assert waiting.state == DeliveryState.QUEUED
