"""The channel layer every process shares: its Redis reads outlast channels_redis' blocking
wait for a socket's next event (redis-py 8's 5 s default read timeout equals that wait, and a
busy host then kills the socket's consumer with a TimeoutError)."""

from __future__ import annotations

import asyncio
import uuid

from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings


def test_the_layers_read_timeout_outlasts_its_blocking_receive():
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    for index in range(layer.ring_size):
        pool = layer.create_pool(index)
        assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout


def test_a_burst_of_group_changes_in_one_process_gets_its_connections():
    """300 sockets of one process joining and leaving together (a restart, many visitors at
    once): redis-py 8's default pool of 100 connections raised MaxConnectionsError here."""
    layer = RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    group = f"burst-{uuid.uuid4().hex[:8]}"
    names = [f"specific.burst!{index}" for index in range(300)]

    async def burst() -> tuple[int, int]:
        redis = layer.connection(layer.consistent_hash(group))
        await asyncio.gather(*(layer.group_add(group, name) for name in names))
        joined = await redis.zcard(layer._group_key(group))
        await asyncio.gather(*(layer.group_discard(group, name) for name in names))
        left = await redis.zcard(layer._group_key(group))
        await layer.flush()
        return joined, left

    assert asyncio.run(burst()) == (300, 0)
