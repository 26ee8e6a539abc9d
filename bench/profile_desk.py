"""Profile the desk's queue and ticket pages through the whole stack in one process
(pyinstrument), the way gunicorn calls them, signed in as alice on the demo seed of
bench/desk_pages.py:
`python -m bench.profile_desk [queue|ticket] [requests] [--queries|--cprofile|--time]
[--no-setup]` prints the top frames (--cprofile: own time per function; --queries: one
request's statements with their times; --time: p50 wall and CPU per request without a
profiler; --no-setup: skip migrate and seed, minutes on a busy machine).

Uses the bench database and Redis (BENCH_*), DEBUG off.
"""

from __future__ import annotations

import io
import os
import sys

from . import desk_pages, harness
from .profile_light import print_pyinstrument, print_statements


def _environ(path: str, cookie: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def _session_cookie() -> str:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="alice"))
    return f"sessionid={client.cookies['sessionid'].value}"


def _print_times(page: str, call, count: int) -> None:
    """No profiler: p50 wall and CPU time per request."""
    import time

    walls = []
    cpu = time.process_time()
    for _ in range(count):
        start = time.perf_counter()
        call()
        walls.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu
    walls.sort()
    print(
        f"{page}: p50 {walls[len(walls) // 2] * 1000:.2f} ms wall, "
        f"{cpu / count * 1000:.2f} ms CPU per request (this process)"
    )


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    page = args[0] if args else "ticket"
    count = int(args[1]) if len(args) > 1 else 200
    if "--no-setup" not in sys.argv:  # the seed takes minutes on a busy machine
        harness.ensure_database()
        harness.manage("collectstatic", "--noinput")  # DEBUG off serves the manifest
        harness.manage("seed_demo")
        harness.manage("shell", "-c", desk_pages.SEED)
    os.environ.update(harness.environment())
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from tickets.models import Ticket

    ticket_id = Ticket.objects.filter(tags__name="bench-desk").order_by("id").first().pk
    cookie = _session_cookie()
    path = "/desk/" if page == "queue" else f"/desk/tickets/{ticket_id}/"

    def call() -> None:
        status = []
        for _ in application(_environ(path, cookie), lambda s, h: status.append(s)):
            pass
        assert status[0].startswith("200"), status

    for _ in range(20):  # warm up: connections, template and translation caches
        call()
    if "--queries" in sys.argv:
        print_statements(call)
        return
    if "--cprofile" in sys.argv:  # own time per function, for the template engine's share
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(count):
            call()
        profile.disable()
        if os.environ.get("PROFILE_DUMP"):  # for pstats' callers and callees
            profile.dump_stats(os.environ["PROFILE_DUMP"])
        stats = pstats.Stats(profile).sort_stats("tottime")
        stats.print_stats(40)
        stats.sort_stats("cumulative").print_stats(80)
        return
    if "--time" in sys.argv:
        _print_times(page, call, count)
        return
    print_pyinstrument(call, count)


if __name__ == "__main__":
    main()
