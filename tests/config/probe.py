"""Run a few lines in a fresh Python process of the project (a server process's start, as
gunicorn or uvicorn would begin it) and read the JSON its last line prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings


def probe(code: str):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
