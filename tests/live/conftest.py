"""Real-time fixtures: the desk fixtures (tier, customer, make_ticket), a listener on a
channel-layer group (the Redis layer the web processes share), and session cookies."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.desk.conftest import customer, make_ticket, tier  # noqa: F401 - shared fixtures


async def close_db() -> None:
    """Close the database connection of the thread that consumers' queries ran in (asyncio.run
    gives thread-sensitive code one executor thread), so the test database can be dropped."""
    await sync_to_async(connections.close_all)()


def session_cookie(user) -> str:
    """The Cookie header of a desk session for `user` (as the browser sends it)."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class Listener:
    """A named channel of the real layer, added to groups; `events()` drains what reached it
    (through a layer instance of its own per call: each async_to_sync runs its own loop)."""

    def __init__(self) -> None:
        self.channel = f"test-listener-{uuid.uuid4().hex}"

    def join(self, group: str) -> None:
        async_to_sync(get_channel_layer().group_add)(group, self.channel)

    def events(self, wait: float = 0.3) -> list[dict]:
        async def drain() -> list[dict]:
            layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
            got = []
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(self.channel), wait)
                except TimeoutError:
                    return got
                got.append(message["event"])

        return async_to_sync(drain)()


@pytest.fixture
def listener(db) -> Listener:
    assert "channels_redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"], "run with REDIS_URL"
    return Listener()
