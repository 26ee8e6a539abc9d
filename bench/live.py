"""Real time: 100 concurrent chats. 100 chat tickets (opened through the inbound chat door),
100 desk sockets (ws/desk/, one per chat, each subscribed to its ticket) held by uvicorn
(config.asgi); agents' public replies POSTed through the API to gunicorn (config.wsgi), which
publishes through the Redis channel layer to the socket process. Measured: messages per second
through the real-time path (replies whose event reached their socket, over the wall time from
the first POST to the last receipt) and the latency from sending the reply (the POST starts) to
the socket's receipt, p50/p99. Same-run reference, interleaved per round: the no-op POST
/api/v1/ping/ on the same gunicorn at the same concurrency (its request latency).

Visitor sockets (the widget's ws/chat/) are not measured here: the widget was not in main yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from . import harness
from .load import LoadResult, median, run_load

CHATS = 100
CONCURRENCY = 8  # agents replying at once
REPLIES_PER_ROUND = 300  # three replies per chat and round
AGENT = "bench-live-agent"


# --- setup, in a subprocess against the benchmark database (Celery eager: the door's
# processing runs in-process, as a worker would) --------------------------------------------


def _setup(chats: int) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.models import Role, User
    from accounts.services import api_token_create
    from tickets.channels.config import channel_save
    from tickets.channels.models import Channel, InboundMessage

    agent, _ = User.objects.get_or_create(username=AGENT, defaults={"role": Role.MANAGER})
    integration, _ = User.objects.get_or_create(
        username="bench-live-door", defaults={"role": Role.INTEGRATION}
    )
    if not Channel.objects.filter(kind="chat").exists():
        channel_save(
            channel=Channel(),
            kind="chat",
            name="Bench chat",
            settings={
                "widget_id": "bench",
                "webhook_url": "https://chat.bench.example.com/hook",
                "webhook_secret": secrets.token_hex(16),
            },
        )
    door = APIClient(HTTP_HOST="127.0.0.1")  # ALLOWED_HOSTS of the benchmark
    _, door_key = api_token_create(user=integration, name="bench-live")
    door.credentials(HTTP_AUTHORIZATION=f"Token {door_key}")
    run = uuid.uuid4().hex[:8]
    tickets = []
    for index in range(chats):
        payload = {
            "conversation_id": f"bench-{run}-{index}",
            "message_id": "m-1",
            "visitor": {"id": f"visitor-{run}-{index}", "name": f"Visitor {index}"},
            "text": "Hello, is anyone there? My order has not arrived.",
        }
        response = door.post("/api/v1/inbound/chat/", payload, format="json")
        assert response.status_code == 202, response.content
        tickets.append(InboundMessage.objects.get(pk=response.json()["id"]).ticket_id)
    _, agent_key = api_token_create(user=agent, name="bench-live")
    client = Client()
    client.force_login(agent)
    name = settings.SESSION_COOKIE_NAME
    return {
        "tickets": tickets,
        "token": agent_key,
        "cookie": f"{name}={client.cookies[name].value}",
    }


def setup(chats: int, secret_key: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.live", "--setup", str(chats)],
        cwd=harness.ROOT,
        env=harness.environment(
            CELERY_TASK_ALWAYS_EAGER="1",
            SECRET_KEY=secret_key,
            LOG_LEVEL="ERROR",
            WEBHOOKS_ALLOW_PRIVATE="1",  # the chat channel's hook is on loopback
        ),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@contextmanager
def uvicorn(secret_key: str) -> Iterator[str]:
    """uvicorn (one process) serving config.asgi on a free loopback port."""
    port = harness.free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
        ],
        cwd=harness.ROOT,
        env=harness.environment(SECRET_KEY=secret_key),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        harness_wait(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def harness_wait(url: str, process: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("uvicorn did not start")


# --- the measurement ----------------------------------------------------------------------


async def _sockets(ws_base: str, origin: str, cookie: str, tickets: list[int]):
    from websockets.asyncio.client import connect

    sockets = []
    for ticket in tickets:
        ws = await connect(
            f"{ws_base}/ws/desk/", origin=origin, additional_headers={"Cookie": cookie}
        )
        await ws.send(json.dumps({"type": "subscribe", "ticket": ticket}))
        answer = json.loads(await ws.recv())
        assert answer == {"type": "subscribed", "ticket": ticket}, answer
        sockets.append(ws)
    return sockets


async def _round(api: str, token: str, sockets: list, tickets: list[int], total: int) -> dict:
    import httpx

    received: dict[int, float] = {}
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}  # when each reply POST's response came back
    done = asyncio.Event()

    async def listen(ws) -> None:
        async for raw in ws:
            event = json.loads(raw)
            if event.get("type") == "message":
                received[event["message"]] = time.perf_counter()
                if len(received) >= total:
                    done.set()

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    headers = {"Authorization": f"Token {token}"}
    counter = iter(range(total))
    errors = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=api, limits=limits, timeout=30) as client:

        async def agent() -> None:
            nonlocal errors
            for index in counter:
                ticket = tickets[index % len(tickets)]
                started = time.perf_counter()
                response = await client.post(
                    f"/api/v1/tickets/{ticket}/messages/",
                    json={"body": f"Reply {index}: it is on its way."},
                    headers=headers,
                )
                if response.status_code != 201:
                    errors += 1
                    continue
                sent[response.json()["id"]] = started
                answered[response.json()["id"]] = time.perf_counter()

        began = time.perf_counter()
        await asyncio.gather(*(agent() for _ in range(CONCURRENCY)))
        with contextlib.suppress(TimeoutError):  # what never came counts as lost
            await asyncio.wait_for(done.wait(), timeout=30)
    for task in listeners:
        task.cancel()
    latencies = [(received[m] - t) * 1000 for m, t in sent.items() if m in received]
    last = max((received[m] for m in sent if m in received), default=began)
    result = LoadResult(
        len(latencies), errors + len(sent) - len(latencies), last - began, latencies
    )
    post = LoadResult(len(sent), 0, 1.0, [(answered[m] - t) * 1000 for m, t in sent.items()])
    # the socket's receipt after the POST's response (negative: the event came first)
    after = LoadResult(
        len(latencies), 0, 1.0, [(received[m] - answered[m]) * 1000 for m in sent if m in received]
    )
    return {
        "rps": result.rps,
        "p50": result.percentile(50),
        "p99": result.percentile(99),
        "post50": post.percentile(50),
        "after50": after.percentile(50),
        "after99": after.percentile(99),
        "lost": result.errors,
    }


def _measure(api: str, live: str, data: dict, runs: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {
        k: []
        for k in (
            "rps",
            "p50",
            "p99",
            "post50",
            "after50",
            "after99",
            "lost",
            "ping50",
            "ping99",
            "ping_rps",
        )
    }
    headers = {"Authorization": f"Token {data['token']}"}

    def ping(index: int):
        return (
            "POST",
            "/api/v1/ping/",
            {"echo": index},
            {**headers, "Idempotency-Key": uuid.uuid4().hex},
        )

    async def rounds() -> None:
        sockets = await _sockets(
            live.replace("http://", "ws://"), live, data["cookie"], data["tickets"]
        )
        try:
            for _ in range(runs):
                noop = await asyncio.to_thread(
                    run_load, api, ping, total=REPLIES_PER_ROUND, concurrency=CONCURRENCY
                )
                assert noop.errors == 0, "errors during the no-op load"
                figures["ping50"].append(noop.percentile(50))
                figures["ping99"].append(noop.percentile(99))
                figures["ping_rps"].append(noop.rps)
                got = await _round(api, data["token"], sockets, data["tickets"], REPLIES_PER_ROUND)
                for key in ("rps", "p50", "p99", "post50", "after50", "after99", "lost"):
                    figures[key].append(got[key])
                print(f"live round: {got}, ping p50 {noop.percentile(50):.1f} ms", file=sys.stderr)
        finally:
            for ws in sockets:
                await ws.close()

    asyncio.run(rounds())
    return figures


def run(*, runs: int = 3) -> list[dict]:
    harness.ensure_database()
    secret_key = "bench-live-" + secrets.token_hex(16)
    data = setup(CHATS, secret_key)
    with harness.gunicorn(workers=2) as api, uvicorn(secret_key) as live:
        run_load(api.url, lambda i: ("GET", "/healthz", None, {}), total=50, concurrency=4)
        figures = _measure(api.url, live, data, runs)
    ping50 = median(figures["ping50"])
    return [
        {
            "benchmark": f"live: reply -> desk socket ({CHATS} chats, c={CONCURRENCY})",
            "rps": median(figures["rps"]),
            "p50_ms": median(figures["p50"]),
            "p99_ms": median(figures["p99"]),
            "reference": (
                f"no-op POST p50 {ping50:.1f} ms p99 {median(figures['ping99']):.1f} ms "
                f"({median(figures['ping_rps']):.0f} req/s); reply POST alone p50 "
                f"{median(figures['post50']):.1f} ms, socket after its response p50 "
                f"{median(figures['after50']):.1f} ms p99 {median(figures['after99']):.1f} ms; "
                f"lost {max(figures['lost']):.0f}"
            ),
            "ratio": median(figures["p50"]) / ping50 if ping50 else 0.0,
        }
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--setup":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        print(json.dumps(_setup(int(sys.argv[2]))))
    else:
        for row in run(runs=1):
            print(row)
