"""Prepared statements on and off, interleaved in one process: `python -m bench.prepared_ab
create|intake|queue [blocks] [size]`.

Each block runs `size` ticket creates (through the WSGI application, as gunicorn calls it),
`size` emails through the intake (store, commit, process: Celery eager, as a worker runs it)
or `size` desk queue pages (signed in as alice, the WSGI application again), alternately on
a connection whose parameters are quoted into the query's text by psycopg (Django's default,
no statement prepared) and on one whose parameters the server binds and whose frequent
statements are prepared (ours, config.settings `DB_PREPARED_STATEMENTS`); the order flips
every block, so the machine's drift hits both alike. Prints the wall time, our CPU and the
PostgreSQL backend's CPU per operation for each, from `/proc` around each block.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import uuid

from . import harness
from .profile_light import _process_cpu


def _connect(prepared: bool) -> int:
    """Reconnect the default connection with prepared statements on or off; its backend pid."""
    from django.db import connection

    connection.close()
    options = connection.settings_dict["OPTIONS"]
    if prepared:
        options["server_side_binding"] = True
        options["prepare_threshold"] = 5
    else:
        options.pop("server_side_binding", None)
        options.pop("prepare_threshold", None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _create_operation():
    from django.core.wsgi import get_wsgi_application

    from .profile_light import _environ

    application = get_wsgi_application()
    token = harness.integration_token("profile")
    calls = iter(range(10**9))

    def create() -> None:
        status = []
        for _ in application(_environ("create", token, next(calls)), lambda s, h: status.append(s)):
            pass
        assert status[0].startswith("201"), status

    return create


def _intake_operation(total: int):
    from .email_intake import bench_mailbox, generate, store

    channel = bench_mailbox()
    emails = iter(generate(total, uuid.uuid4().hex[:12]))
    return lambda: store(channel, next(emails))


def _queue_operation():
    from django.core.wsgi import get_wsgi_application

    from .desk_pages import SEED
    from .profile_desk import _environ, _session_cookie

    harness.manage("collectstatic", "--noinput")  # DEBUG off serves the manifest
    harness.manage("shell", "-c", SEED)
    application = get_wsgi_application()
    cookie = _session_cookie()

    def queue() -> None:
        status = []
        for _ in application(_environ("/desk/", cookie), lambda s, h: status.append(s)):
            pass
        assert status[0].startswith("200"), status

    return queue


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "create"
    blocks = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    harness.ensure_database()
    harness.manage("seed_demo")
    harness.sql("ANALYZE")  # no autovacuum here: plans from what earlier runs left
    os.environ.update(harness.environment(CELERY_TASK_ALWAYS_EAGER="1", LOG_LEVEL="ERROR"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    if what == "create":
        operation = _create_operation()
    elif what == "intake":
        operation = _intake_operation(2 * (blocks + 1) * size + 2 * size)
    elif what == "queue":
        operation = _queue_operation()
    else:
        raise SystemExit(f"unknown load {what!r}: create, intake or queue")
    totals = {False: [0.0, 0.0, 0.0], True: [0.0, 0.0, 0.0]}
    for prepared in (False, True):  # warm up: caches, customers, the statements' first runs
        _connect(prepared)
        for _ in range(size):
            operation()
    for block in range(blocks):
        for prepared in (False, True) if block % 2 == 0 else (True, False):
            backend = _connect(prepared)
            pg, cpu, wall = _process_cpu(backend), _cpu(), time.perf_counter()
            for _ in range(size):
                operation()
            total = totals[prepared]
            total[0] += time.perf_counter() - wall
            total[1] += _cpu() - cpu
            total[2] += _process_cpu(backend) - pg
    count = blocks * size
    for prepared in (False, True):
        wall, cpu, pg = (value / count * 1000 for value in totals[prepared])
        label = "prepared, server-side binding" if prepared else "client-side binding"
        print(
            f"{what} x{count} {label}: {wall:.2f} ms wall, {cpu:.2f} ms our CPU, "
            f"{pg:.2f} ms PostgreSQL's per operation"
        )


if __name__ == "__main__":
    main()
