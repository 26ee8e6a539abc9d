"""Profile our no-op through the whole stack in one process (pyinstrument), the way gunicorn
calls it: `python -m bench.profile_light [GET|POST|POST+key] [requests]` prints the top frames.

Uses the bench database and Redis (BENCH_*), DEBUG off; the README's light-path section
quotes its output before and after.
"""

from __future__ import annotations

import io
import json
import os
import sys
import uuid

from . import harness


def _environ(method: str, token: str, key: bool) -> dict:
    body = json.dumps({"echo": 1}).encode() if method == "POST" else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/api/v1/ping/",
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
    if key:
        environ["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex
    return environ


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "GET"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    harness.ensure_database()
    token = harness.integration_token("profile")
    os.environ.update(harness.environment())
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    from django.core.wsgi import get_wsgi_application
    from pyinstrument import Profiler

    application = get_wsgi_application()
    method, key = mode.split("+")[0], mode.endswith("+key")

    def call() -> None:
        status = []
        for _ in application(_environ(method, token, key), lambda s, h: status.append(s)):
            pass
        assert status[0].startswith("200"), status

    for _ in range(200):  # warm up: connections, caches, the throttle script
        call()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(count):
        call()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
