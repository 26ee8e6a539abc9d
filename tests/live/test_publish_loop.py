"""live.publish runs every send on one event loop per process (its Redis connections reused
from publish to publish), from any thread, with a bound on how long a caller waits, and a
forked child starts its own."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from live import groups
from live import publish as live_publish

pytestmark = pytest.mark.django_db


def test_publishes_from_any_thread_share_one_loop_and_arrive(listener):
    listener.join(groups.ticket(1))
    loops = []

    async def which_loop():
        loops.append(asyncio.get_running_loop())

    threads = [
        threading.Thread(target=live_publish._run_sync, args=(which_loop,)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    live_publish._run_sync(which_loop)
    assert len(loops) == 5
    assert len(set(map(id, loops))) == 1  # one loop for the process

    assert live_publish.publish(groups.ticket(1), {"type": "message", "ticket": 1}) is True
    assert live_publish.publish_many([(groups.ticket(1), {"type": "message", "ticket": 2})]) == 1
    assert listener.events() == [
        {"type": "message", "ticket": 1},
        {"type": "message", "ticket": 2},
    ]


def test_a_layer_that_does_not_answer_holds_the_caller_only_so_long(monkeypatch):
    """A send that hangs (a stalled Redis) is cancelled after PUBLISH_TIMEOUT_SECONDS; the
    caller hears False and goes on."""

    class StalledLayer:
        async def group_send(self, group, message):
            await asyncio.sleep(30)

    monkeypatch.setattr(live_publish, "get_channel_layer", StalledLayer)
    monkeypatch.setattr(live_publish, "PUBLISH_TIMEOUT_SECONDS", 0.2)
    assert live_publish.publish("ticket-1", {"type": "message"}) is False
    assert live_publish.publish_many([("ticket-1", {"type": "message"})]) == 0


def test_a_forked_child_publishes_on_a_loop_of_its_own(monkeypatch):
    """gunicorn and Celery fork after the app is loaded: the parent's loop thread does not
    come with the fork, so a child using the parent's loop would wait for ever (here: until
    the timeout)."""

    async def pid():
        return os.getpid()

    assert live_publish._run_sync(pid) == os.getpid()  # the parent's loop is running
    monkeypatch.setattr(live_publish, "PUBLISH_TIMEOUT_SECONDS", 2.0)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        answer = b"error"
        try:
            answer = b"ok" if live_publish._run_sync(pid) == os.getpid() else b"wrong"
        except TimeoutError:
            answer = b"timeout"
        finally:
            os.write(write, answer)
            os._exit(0)
    os.close(write)
    answer = os.read(read, 10)
    os.waitpid(child, 0)
    assert answer == b"ok"


def test_a_group_nobody_listens_to_is_not_sent_to(listener, monkeypatch):
    """One pipelined ZCOUNT tells which groups have sockets: only those go through the
    layer's group_send (the quiet ones count as taken); a member older than the layer's
    group_expiry is one group_send would discard, so it listens no more."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    sent = []
    original = type(layer).group_send

    async def counting(self, group, message):
        sent.append(group)
        return await original(self, group, message)

    monkeypatch.setattr(type(layer), "group_send", counting)
    heard, quiet, stale = groups.ticket(101), groups.ticket(102), groups.ticket(103)
    listener.join(heard)
    old = int(time.time()) - layer.group_expiry - 10
    live_publish._client(layer, layer.consistent_hash(stale)).zadd(
        layer._group_key(stale), {"test-gone-channel": old}
    )

    taken = live_publish.publish_many(
        [
            (heard, {"type": "message", "ticket": 101}),
            (quiet, {"type": "queue", "ticket": 102}),
            (stale, {"type": "queue", "ticket": 103}),
        ]
    )

    assert taken == 3
    assert sent == [heard]
    assert listener.events() == [{"type": "message", "ticket": 101}]
    assert live_publish.publish(quiet, {"type": "message"}) is True
    assert sent == [heard]
