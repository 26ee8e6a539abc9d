"""django-helpdesk from PyPI in a virtualenv of its own, with a minimal Django project written
here: all under var/peer/ (git-ignored), never in the repository. The venv is reused when it
already holds the pinned release."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg

from .. import harness

VERSION = "2.6.1"
HOME = harness.ROOT / "var" / "peer"
VENV = HOME / "venv"
PROJECT = HOME / "project"
PYTHON = VENV / "bin" / "python"
DATABASE_URL = os.environ.get(
    "BENCH_PEER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hd_peer"
)
PACKAGES = [f"django-helpdesk=={VERSION}", "gunicorn==27.0.1", "psycopg[binary]==3.3.9"]

SETTINGS = '''"""Minimal project for django-helpdesk, written by bench/peer/project.py."""
import os
from urllib.parse import urlparse

_db = urlparse(os.environ["PEER_DATABASE_URL"])
SECRET_KEY = "bench-peer-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peer_site.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "peer_site.wsgi.application"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": _db.path.lstrip("/"),
    "USER": _db.username or "postgres",
    "PASSWORD": _db.password or "",
    "HOST": _db.hostname or "127.0.0.1",
    "PORT": str(_db.port or 5432),
}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ.get("PEER_MEDIA_ROOT", "/tmp/peer-media")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
    ],
}
HELPDESK_TEAMS_MODE_ENABLED = False  # pinax-teams is not installed (the documented switch)
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("PEER_SMTP_PORT", "25"))
DEFAULT_FROM_EMAIL = "helpdesk@peer.test"
SERVER_EMAIL = "helpdesk@peer.test"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "ERROR"}}
'''

URLS = """from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("healthz", lambda request: HttpResponse("ok")),
    path("", include("helpdesk.urls")),
]
"""

WSGI = """import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")
application = get_wsgi_application()
"""

MANAGE = """import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""


def _installed() -> bool:
    if not PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(PYTHON), "-c", "import importlib.metadata as m; print(m.version('django-helpdesk'))"],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() == VERSION


def ensure_venv() -> None:
    """The peer's virtualenv (reused when it already has the pinned release)."""
    if _installed():
        return
    HOME.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", *PACKAGES], check=True)


def write_project() -> None:
    package = PROJECT / "peer_site"
    package.mkdir(parents=True, exist_ok=True)
    files = {
        package / "__init__.py": "",
        package / "settings.py": SETTINGS,
        package / "urls.py": URLS,
        package / "wsgi.py": WSGI,
        PROJECT / "manage.py": MANAGE,
        package / "tools.py": (Path(__file__).parent / "peer_tools.py").read_text(),
    }
    for path, text in files.items():
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def environment(smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    env.update(
        PEER_DATABASE_URL=DATABASE_URL,
        PEER_SMTP_PORT=str(smtp_port),
        PEER_MEDIA_ROOT=str(HOME / "media"),
        DJANGO_SETTINGS_MODULE="peer_site.settings",
        PYTHONPATH=str(PROJECT),
    )
    return env


def ensure_database(smtp_port: int) -> None:
    parts = urlparse(DATABASE_URL)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    manage(smtp_port, "migrate", "--noinput")


def manage(smtp_port: int, *args: str) -> str:
    return subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=PROJECT,
        env=environment(smtp_port),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def setup(smtp_port: int) -> None:
    ensure_venv()
    write_project()
    ensure_database(smtp_port)


@contextmanager
def gunicorn(smtp_port: int, workers: int = 2) -> Iterator[harness.Server]:
    """The peer under the same gunicorn shape as ours (sync workers, loopback)."""
    port = harness.free_port()
    process = subprocess.Popen(
        [
            str(PYTHON),
            "-m",
            "gunicorn",
            "peer_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--backlog",
            "2048",
            # its list reads every ticket: past gunicorn's default 30 s timeout under load
            "--timeout",
            "300",
        ],
        cwd=PROJECT,
        env=environment(smtp_port),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/healthz", process)
        yield harness.Server(url, process)
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
    raise RuntimeError(f"server at {url} did not start")


def tool(smtp_port: int, *args: str) -> tuple[dict, float]:
    """One operation of peer_tools.py in a fresh peer process: its JSON and the wall time of
    the whole process (interpreter, Django set-up, the work)."""
    import json

    started = time.perf_counter()
    out = subprocess.run(
        [str(PYTHON), "-m", "peer_site.tools", *args],
        cwd=PROJECT,
        env=environment(smtp_port),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if out.returncode:
        raise RuntimeError(f"peer tool {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]), wall
