"""The garbage collector of a long-running process (gunicorn and uvicorn workers, Celery's
pool processes): what was loaded at start (Django, the apps, the URLconf, translations) is
moved out of the collector's sight with gc.freeze(), once.

Why: a full collection visits every tracked object of the process. A request that builds a
few thousand objects (a search page: 200 candidates, their tickets, prefetches) now and then
triggers one, and it walked the whole heap of the loaded app: the search benchmark's slowest
requests spent 850-1,260 ms of 1.0-1.7 s in the collector under load (bench/search.py's
breakdown). Frozen objects are never collected (they live as long as the process anyway) and
never visited; what requests allocate is collected as before. Under a forking server the
frozen pages are also not written by the collector, so they stay shared copy-on-write.
"""

from __future__ import annotations

import gc


def freeze_startup() -> None:
    """Load what every request needs, collect what loading left behind, freeze the rest."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module now, not on request 1
    gc.collect()
    gc.freeze()
