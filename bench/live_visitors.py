"""The visitors and the worker of `bench.live`: widget sessions opened through /chat/api/ as
the frame opens them, their sockets (ws/chat/?token=...), and the Celery worker that sends the
outbox's "chat" rows to those sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import harness

HEARTBEAT_SECONDS = 15.0  # the frame pings every CHAT_PRESENCE_TTL_SECONDS / 3 (60 / 3 = 20)


async def open_chats(api: str, channel: int, chats: int, run: str) -> list[dict]:
    """`chats` visitors, each through the widget's HTTP API: a session (pre-chat name), then
    a first message, which opens the chat ticket and its thread as in production. Returns
    each visitor's refreshed token (naming the thread) and the thread id."""
    import httpx

    async with httpx.AsyncClient(base_url=api, timeout=60) as client:

        async def one(index: int) -> dict:
            started = await client.post(
                "/chat/api/session/", json={"channel": channel, "name": f"Visitor {run} {index}"}
            )
            assert started.status_code == 200, started.text
            sent = await client.post(
                "/chat/api/messages/",
                json={
                    "text": "Hello, is anyone there? My order has not arrived.",
                    "client_id": "m-1",
                },
                headers={"X-Chat-Token": started.json()["token"]},
            )
            assert sent.status_code == 201, sent.text
            body = sent.json()
            assert body["conversation"], body
            return {"token": body["token"], "thread": body["conversation"]}

        visitors = []
        for start in range(0, chats, 4):  # four visitors arriving at once
            batch = range(start, min(chats, start + 4))
            visitors += await asyncio.gather(*(one(i) for i in batch))
    threads = [v["thread"] for v in visitors]
    rows = dict(
        harness.sql(
            "SELECT id, ticket_id FROM tickets_channelthread WHERE id = ANY(%s)", (threads,)
        )
    )
    for visitor in visitors:
        visitor["ticket"] = rows[visitor["thread"]]
    return visitors


async def visitor_sockets(ws_base: str, visitors: list[dict]) -> list:
    """One widget socket per visitor; the consumer joins the thread's visitor group and marks
    the conversation present (the chat transport counts a reply sent only then)."""
    from websockets.asyncio.client import connect

    sockets = []
    for visitor in visitors:
        ws = await connect(f"{ws_base}/ws/chat/?token={visitor['token']}")
        await ws.send(json.dumps({"type": "ping"}))
        sockets.append(ws)
    return sockets


async def heartbeat(sockets: list) -> None:
    """What the frame does: a ping now and then keeps each conversation's presence alive."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.send(json.dumps({"type": "ping"}))


def outbox_counts(message_ids: list[int]) -> dict[str, int]:
    """How the outbox recorded the replies: rows sent to a visitor socket, and all others."""
    rows = harness.sql(
        "SELECT state, provider_id LIKE 'socket:%%' FROM outbox_outboxmessage "
        "WHERE transport = 'chat' AND message_id = ANY(%s)",
        (message_ids,),
    )
    socket = sum(1 for state, to_socket in rows if state == "sent" and to_socket)
    return {"socket": socket, "other": len(rows) - socket, "missing": len(message_ids) - len(rows)}


@contextmanager
def celery_worker(secret_key: str, log: Path) -> Iterator[subprocess.Popen]:
    """A real Celery worker (prefork, two processes: the host has two cores) on the bench's
    broker and database, consuming the queues the outbox and intake use. Tasks an earlier,
    interrupted run left on the benchmark's own broker are purged first: a backlog of them
    would sit in front of the replies measured here."""
    queues = "intake,outbound,default"
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "purge", "-f", "-Q", queues],
        cwd=harness.ROOT,
        env=harness.environment(SECRET_KEY=secret_key, LOG_LEVEL="WARNING"),
        capture_output=True,
        check=True,
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    with log.open("a") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queues,
                "--concurrency=2",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=harness.ROOT,
            env=harness.environment(SECRET_KEY=secret_key, LOG_LEVEL="WARNING"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while " ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
