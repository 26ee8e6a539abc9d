"""The bare reference server: `with serve() as base_url:` then GET/POST base_url + "/noop/".

Served by the same gunicorn command line as our server (bench.harness.gunicorn: sync
workers, one thread, the same backlog and log level, DEBUG off), so the ratio of our no-op
to this one is what our stack adds to Django + DRF on this machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench import harness


@contextmanager
def server(workers: int = 2) -> Iterator[harness.Server]:
    """The bare no-op under gunicorn with `workers` sync workers (its URL and processes)."""
    with harness.gunicorn(
        workers=workers,
        app="bench.bare.wsgi",
        ready_path="/noop/",
        env={"DJANGO_SETTINGS_MODULE": "bench.bare.settings"},
    ) as running:
        yield running


@contextmanager
def serve(workers: int = 2) -> Iterator[str]:
    """Start the bare no-op under gunicorn with `workers` sync workers; yield its base URL."""
    with server(workers) as running:
        yield running.url
