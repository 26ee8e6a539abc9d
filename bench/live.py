"""Real time: 100 concurrent chats, as in production. Each chat is a visitor with a real widget
session (POST /chat/api/session/, then the first message through /chat/api/messages/, which
opens the chat ticket and its thread) and a visitor socket (ws/chat/?token=...); each chat
ticket also has a desk socket (ws/desk/, subscribed to it). The sockets are held by uvicorn
(config.asgi); agents' public replies are POSTed through the API to gunicorn (config.wsgi).
Two paths per reply, measured on the same replies:

- desk socket: the reply's event, published after commit through the Redis channel layer;
- visitor socket: the reply's outbox row ("chat" transport), sent by a real Celery worker
  (widget/transport.py publishes it to the visitor group and counts it sent only when the
  conversation's socket is present).

Measured: messages per second (replies that reached their socket, over the wall time from the
first POST to the last receipt) and the latency from the start of the reply's POST to the
socket's receipt, p50/p99. Same-run reference, interleaved per round: the no-op POST
/api/v1/ping/ on the same gunicorn at the same concurrency (its request latency).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from . import harness, live_visitors
from .load import LoadResult, median, run_load

CHATS = 100
CONCURRENCY = 8  # agents replying at once
REPLIES_PER_ROUND = 300  # three replies per chat and round
AGENT = "bench-live-agent"
WIDGET_CHANNEL = "Bench widget chat"
WORKER_LOG = harness.ROOT / "var" / "bench" / "live-worker.log"


# --- setup, in a subprocess against the benchmark database: the agent and the widget channel
# (the visitors come through the widget's HTTP API, see bench/live_visitors.py) ------------


def _setup() -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from accounts.models import Role, User
    from accounts.services import api_token_create
    from automations.models import AgentAvailability
    from tickets.channels.config import channel_save
    from tickets.channels.models import Channel

    agent, _ = User.objects.get_or_create(username=AGENT, defaults={"role": Role.MANAGER})
    # An agent on the desk is available: the widget takes messages without an email address,
    # so a reply the socket does not get cannot quietly go by email instead.
    AgentAvailability.objects.update_or_create(agent=agent, defaults={"available": True})
    channel = Channel.objects.filter(kind="chat", name=WIDGET_CHANNEL).first()
    if channel is None:  # our widget: no provider webhook, replies go to the visitor socket
        channel = channel_save(
            channel=Channel(), kind="chat", name=WIDGET_CHANNEL, settings={"widget_id": "bench"}
        )
    _, agent_key = api_token_create(user=agent, name="bench-live")
    client = Client()
    client.force_login(agent)
    name = settings.SESSION_COOKIE_NAME
    return {
        "channel": channel.pk,
        "token": agent_key,
        "cookie": f"{name}={client.cookies[name].value}",
    }


def setup(secret_key: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.live", "--setup"],
        cwd=harness.ROOT,
        env=harness.environment(SECRET_KEY=secret_key, LOG_LEVEL="ERROR"),
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


PATHS = ("desk", "visitor")
FIGURES = ("rps", "p50", "p99", "after50", "after99", "lost")


async def _listen(ws, path: str, received: dict[str, dict[int, float]]) -> None:
    async for raw in ws:
        event = json.loads(raw)
        if event.get("type") != "message":
            continue
        if path == "desk":
            received["desk"][event["message"]] = time.perf_counter()
        elif event["message"].get("author") == "agent":  # not the visitor's own echo
            received["visitor"][event["message"]["id"]] = time.perf_counter()


def _figures(
    sent: dict[int, float], answered: dict[int, float], got: dict[int, float], began: float
) -> dict:
    latencies = [(got[m] - t) * 1000 for m, t in sent.items() if m in got]
    last = max((got[m] for m in sent if m in got), default=began)
    result = LoadResult(len(latencies), len(sent) - len(latencies), last - began, latencies)
    # the socket's receipt after the POST's response (negative: the event came first)
    after = LoadResult(
        len(latencies), 0, 1.0, [(got[m] - answered[m]) * 1000 for m in sent if m in got]
    )
    return {
        "rps": result.rps,
        "p50": result.percentile(50),
        "p99": result.percentile(99),
        "after50": after.percentile(50),
        "after99": after.percentile(99),
        "lost": result.errors,
    }


async def _round(api: str, token: str, sockets: dict[str, list], tickets: list[int], total: int):
    import httpx

    received: dict[str, dict[int, float]] = {path: {} for path in PATHS}
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}  # when each reply POST's response came back
    listeners = [
        asyncio.create_task(_listen(ws, path, received)) for path in PATHS for ws in sockets[path]
    ]
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
        deadline = time.monotonic() + 60  # what never came counts as lost
        while time.monotonic() < deadline and any(
            len(set(sent) & set(received[path])) < len(sent) for path in PATHS
        ):
            await asyncio.sleep(0.05)
    for task in listeners:
        task.cancel()
    figures = {path: _figures(sent, answered, received[path], began) for path in PATHS}
    figures["post50"] = LoadResult(
        len(sent), 0, 1.0, [(answered[m] - t) * 1000 for m, t in sent.items()]
    ).percentile(50)
    figures["errors"] = errors
    return figures, list(sent)


def _measure(api: str, live: str, data: dict, runs: int) -> tuple[dict[str, list[float]], dict]:
    figures: dict[str, list[float]] = {f"{path}.{key}": [] for path in PATHS for key in FIGURES} | {
        k: [] for k in ("post50", "errors", "ping50", "ping99", "ping_rps")
    }
    headers = {"Authorization": f"Token {data['token']}"}
    replies: list[int] = []

    def ping(index: int):
        return (
            "POST",
            "/api/v1/ping/",
            {"echo": index},
            {**headers, "Idempotency-Key": uuid.uuid4().hex},
        )

    async def rounds() -> None:
        visitors = await live_visitors.open_chats(api, data["channel"], CHATS, uuid.uuid4().hex[:6])
        tickets = [v["ticket"] for v in visitors]
        ws_base = live.replace("http://", "ws://")
        sockets = {
            "desk": await _sockets(ws_base, live, data["cookie"], tickets),
            "visitor": await live_visitors.visitor_sockets(ws_base, visitors),
        }
        beating = asyncio.create_task(live_visitors.heartbeat(sockets["visitor"]))
        try:
            for _ in range(runs):
                noop = await asyncio.to_thread(
                    run_load, api, ping, total=REPLIES_PER_ROUND, concurrency=CONCURRENCY
                )
                assert noop.errors == 0, "errors during the no-op load"
                figures["ping50"].append(noop.percentile(50))
                figures["ping99"].append(noop.percentile(99))
                figures["ping_rps"].append(noop.rps)
                got, ids = await _round(api, data["token"], sockets, tickets, REPLIES_PER_ROUND)
                replies.extend(ids)
                for path in PATHS:
                    for key in FIGURES:
                        figures[f"{path}.{key}"].append(got[path][key])
                figures["post50"].append(got["post50"])
                figures["errors"].append(got["errors"])
                print(f"live round: {got}, ping p50 {noop.percentile(50):.1f} ms", file=sys.stderr)
        finally:
            beating.cancel()
            for ws in sockets["desk"] + sockets["visitor"]:
                await ws.close()

    asyncio.run(rounds())
    return figures, live_visitors.outbox_counts(replies)


def _row(path: str, title: str, figures: dict[str, list[float]], extra: str) -> dict:
    ping50 = median(figures["ping50"])
    p50 = median(figures[f"{path}.p50"])
    return {
        "benchmark": f"live: reply -> {title} ({CHATS} chats, c={CONCURRENCY})",
        "rps": median(figures[f"{path}.rps"]),
        "p50_ms": p50,
        "p99_ms": median(figures[f"{path}.p99"]),
        "reference": (
            f"no-op POST p50 {ping50:.1f} ms p99 {median(figures['ping99']):.1f} ms "
            f"({median(figures['ping_rps']):.0f} req/s); reply POST alone p50 "
            f"{median(figures['post50']):.1f} ms, socket after its response p50 "
            f"{median(figures[f'{path}.after50']):.1f} ms p99 "
            f"{median(figures[f'{path}.after99']):.1f} ms; lost "
            f"{sum(figures[f'{path}.lost']):.0f} of {len(figures['ping50']) * REPLIES_PER_ROUND}"
            f"{extra}"
        ),
        "ratio": p50 / ping50 if ping50 else 0.0,
    }


def run(*, runs: int = 3) -> list[dict]:
    harness.ensure_database()
    secret_key = "bench-live-" + secrets.token_hex(16)
    data = setup(secret_key)
    with (
        # the visitor token signed by gunicorn is checked by uvicorn: one SECRET_KEY, as deployed
        harness.gunicorn(workers=2, env={"SECRET_KEY": secret_key}) as api,
        uvicorn(secret_key) as live,
        live_visitors.celery_worker(secret_key, WORKER_LOG),
    ):
        run_load(api.url, lambda i: ("GET", "/healthz", None, {}), total=50, concurrency=4)
        figures, outbox = _measure(api.url, live, data, runs)
    recorded = (
        f"; outbox rows sent to the socket {outbox['socket']}, otherwise {outbox['other']}, "
        f"none {outbox['missing']}; reply POST errors {sum(figures['errors']):.0f}"
    )
    return [
        _row("desk", "desk socket", figures, ""),
        _row("visitor", "visitor socket via outbox + Celery", figures, recorded),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--setup":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        print(json.dumps(_setup()))
    else:
        for row in run(runs=1):
            print(row)
