"""The channel layer every process shares: its Redis reads outlast channels_redis' blocking
wait for a socket's next event (redis-py 8's 5 s default read timeout equals that wait, and a
busy host then kills the socket's consumer with a TimeoutError)."""

from __future__ import annotations

from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer


def test_the_layers_read_timeout_outlasts_its_blocking_receive():
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    for index in range(layer.ring_size):
        pool = layer.create_pool(index)
        assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout
