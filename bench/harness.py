"""Processes and data for benchmarks: a database of their own, gunicorn on loopback, tokens.

Benchmarks never touch the development or test databases: they use BENCH_DATABASE_URL
(default: database `hd_bench` on the local PostgreSQL), created and migrated on first use.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hd_bench")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/10")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


def environment(**extra: str) -> dict[str, str]:
    """The production shape, on loopback: PostgreSQL, Redis, DEBUG off, no throttling."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DATABASE_URL,
        CELERY_BROKER_URL=BROKER_URL,
        REDIS_URL=REDIS_URL,
        DEBUG="0",
        SECRET_KEY="bench-" + secrets.token_hex(16),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        API_THROTTLE_RATE="100000000/min",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def freeze_like_servers(switch: str) -> None:
    """Freeze the collector over what is loaded, as every server process does once it is
    (config.gc_tuning, from config.wsgi): an in-process bench measures what a server would.
    The environment variable `switch` set to 0 leaves it on, to compare."""
    if os.environ.get(switch, "1") != "0":
        from config.gc_tuning import freeze_startup

        freeze_startup()


def manage(*args: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def ensure_database() -> None:
    """Create the benchmark database if missing and bring its schema up to date."""
    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "--noinput")


def sql(statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def integration_token(name: str = "bench") -> str:
    return manage("create_api_token", name, "--integration", "--name", "bench").strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]


@contextmanager
def gunicorn(
    workers: int,
    threads: int = 1,
    *,
    app: str = "config.wsgi",
    ready_path: str = "/healthz",
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """gunicorn with `workers` sync workers on a free loopback port, stopped on exit.

    `app` is the WSGI module (the bare reference passes its own, bench.bare.wsgi, with `env`
    naming its settings); the server is ready once `ready_path` answers 200."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        cwd=ROOT,
        env=environment(**(env or {})),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # two servers booting on a loaded 2-core machine
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}{ready_path}", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("gunicorn did not start")
    try:
        yield Server(url, process)
    finally:
        process.terminate()
        process.wait(timeout=20)


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
