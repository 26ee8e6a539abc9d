"""Real processes for fault tests: gunicorn, Celery worker and beat, a Redis of their own.

Every process points at the pytest-django test database (its name is only known inside a
test, from `connection.settings_dict`) and runs the production settings shape (DEBUG off).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
NO_PERSISTENCE = ("--save", "", "--appendonly", "no")  # a restart loses everything queued


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def service_env(**extra: str) -> dict[str, str]:
    """Environment of a server process: the test database, production settings, no throttle."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "SECRET_KEY": "test-faults",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "API_THROTTLE_RATE": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **extra,
    }


def status_of(url: str, **kwargs: Any) -> int | None:
    try:
        return httpx.get(url, timeout=5, **kwargs).status_code
    except httpx.HTTPError:
        return None


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a process started in its own session, with its children; kill if it hangs."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process and every child of it (its whole process group): no cleanup runs."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def spawn(args: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    """Start a process in a session of its own (so it can be killed with its children)."""
    output = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        if log is not None:
            output.close()


def celery_worker(env: dict[str, str], name: str, log: Path | None = None) -> subprocess.Popen:
    """A Celery worker with one pool process on every queue, named `name@hd-test` (for
    app.control.ping), in a session of its own."""
    from django.conf import settings

    return spawn(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1",
         "-Q", ",".join(settings.TASK_QUEUES), "-n", f"{name}@hd-test", "--without-gossip",
         "--without-mingle", "--loglevel=WARNING"],
        env,
        log,
    )  # fmt: skip


def pool_pids(worker: subprocess.Popen) -> list[int]:
    """The worker's pool processes (its children: they run the tasks)."""
    found = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def kill_pool(worker: subprocess.Popen) -> None:
    """SIGKILL the pool processes mid-task: the main process lives on, the broker redelivers
    the unacknowledged task (acks_late) to a new pool process."""
    for pid in pool_pids(worker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def log_of(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, log: Path | None = None) -> Iterator[str]:
    """gunicorn on a free loopback port; yields its base URL once /healthz answers."""
    port = free_port()
    process = spawn(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        env,
        log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: status_of(f"{base}/healthz") == 200, timeout=30)
        yield base
    finally:
        stop(process)


class RedisServer:
    """A Redis of the test's own on a free port, so restarting it disturbs nobody else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = spawn(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", *NO_PERSISTENCE],
            dict(os.environ),
        )
        wait_until(self._answers, timeout=10, interval=0.05)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(7).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def restart(self, down_for: float = 1.0) -> None:
        """Stop it (everything queued in it is lost: no persistence) and start it again."""
        self.stop()
        time.sleep(down_for)
        self.start()
