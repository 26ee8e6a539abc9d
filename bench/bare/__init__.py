"""The bare reference: a minimal Django + DRF project with one no-op view (GET and POST
`/noop/`), served by the same gunicorn settings as ours, the physical limit of the stack on
this machine. `with serve(workers=2) as base_url: ...`

(A minimal version for the peer bench; lightpath owns bench/bare/ and its version wins on
merge.)"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from .. import harness


@contextmanager
def serve(workers: int = 2) -> Iterator[str]:
    port = harness.free_port()
    env = harness.environment(DJANGO_SETTINGS_MODULE="bench.bare.settings")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.bare.app:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        cwd=harness.ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/noop/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the bare reference did not start")
