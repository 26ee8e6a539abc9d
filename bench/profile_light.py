"""Profile our no-op or a ticket create through the whole stack in one process, the way
gunicorn calls it: `python -m bench.profile_light MODE [requests] [cpu|time|queries]`, MODE one of
GET, POST, POST+key, create, prints the wall and CPU time per request, then the top frames:
pyinstrument's wall-clock tree, with `cpu` cProfile's functions by CPU time
(time.process_time: on a loaded machine the wall clock is mostly waiting for PostgreSQL and
the CPU, the part a request itself costs), with `time` none, with `queries` one request's statements
with their times.

`create` posts the ticket `python -m bench light` posts (an Idempotency-Key each, a requester
among 200), on the demo seed (a default team and SLA policies: every create starts its
clocks). Uses the bench database and Redis (BENCH_*), DEBUG off; the README's light-path
section quotes its output before and after.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

from . import harness

# The create's requesters: bench0..bench199@example.com, all created during the warm-up, as
# in `python -m bench light` (whose warm-up creates 200 and whose loads reuse them).
REQUESTERS = 200
WARM_UP = 200
CREATE_BODY = {
    "subject": "Bench ticket",
    "body": "The parcel arrived damaged; please help.",
    "requester": {"email": "bench0@example.com", "name": "Bench"},
    "tags": ["bench"],
}


def _environ(mode: str, token: str, index: int) -> dict:
    method = "GET" if mode == "GET" else "POST"
    path = "/api/v1/tickets/" if mode == "create" else "/api/v1/ping/"
    if mode == "create":
        requester = {**CREATE_BODY["requester"], "email": f"bench{index % REQUESTERS}@example.com"}
        body = json.dumps({**CREATE_BODY, "requester": requester}).encode()
    else:
        body = json.dumps({"echo": 1}).encode() if method == "POST" else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    if mode in ("POST+key", "create"):
        environ["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex
    return environ


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "GET"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    assert mode in ("GET", "POST", "POST+key", "create"), mode
    harness.ensure_database()
    if mode == "create":
        harness.manage("seed_demo")  # a default team and SLA policy: creates start clocks
    token = harness.integration_token("profile")
    os.environ.update(harness.environment())
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    expected = "201" if mode == "create" else "200"
    calls = iter(range(10**9))

    def call() -> None:
        status = []
        environ = _environ(mode, token, next(calls))
        for _ in application(environ, lambda s, h: status.append(s)):
            pass
        assert status[0].startswith(expected), status

    for _ in range(WARM_UP):  # warm up: connections, caches, the throttle script, customers
        call()
    backend = _backend_pid()
    wall, cpu, pg_cpu = time.perf_counter(), time.process_time(), _process_cpu(backend)
    for _ in range(count):
        call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    pg_cpu = _process_cpu(backend) - pg_cpu
    print(
        f"{mode} x{count} unprofiled: {wall / count * 1000:.2f} ms wall, "
        f"{cpu / count * 1000:.2f} ms CPU per request + PostgreSQL's "
        f"{pg_cpu / count * 1000:.2f} ms (load {os.getloadavg()[0]:.1f})"
    )
    if len(sys.argv) > 3 and sys.argv[3] == "time":
        return
    if len(sys.argv) > 3 and sys.argv[3] == "queries":
        print_statements(call)
        return
    if len(sys.argv) > 3 and sys.argv[3] == "cpu":
        profile = cProfile.Profile(time.process_time)
        profile.runcall(lambda: [call() for _ in range(count)])
        if os.environ.get("PROFILE_DUMP"):
            profile.dump_stats(os.environ["PROFILE_DUMP"])
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        return
    print_pyinstrument(call, count)


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a local process (the PostgreSQL backend serving this
    process's connection: the bench runs beside its database), 0.0 where /proc cannot say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_statements(call) -> None:
    """One call of `call`: each statement it sent with its time (execute and fetch)."""
    from django.db import connection

    timed = []

    def timer(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((time.perf_counter() - start, sql))

    with connection.execute_wrapper(timer):
        call()
    for seconds, sql in timed:
        print(f"{seconds * 1000:6.2f} ms  {sql[:300]}")
    print(len(timed), "statements,", f"{sum(s for s, _ in timed) * 1000:.2f} ms")


def print_pyinstrument(call, count: int) -> None:
    """`count` calls of `call` under pyinstrument; prints its text tree (profile_desk too)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(count):
        call()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
