"""Long-running processes freeze what they loaded at start (config.gc_tuning): a web worker
(config.wsgi), the ASGI server (config.asgi) and each Celery pool process, so a request's
full collection does not walk the loaded app (the search tail: bench/search.py)."""

from __future__ import annotations

import pytest
from celery.signals import worker_process_init

from .probe import probe

PROBE = """
import gc, json, sys
import {module}
print(json.dumps({{"frozen": gc.get_freeze_count(), "urls": "config.urls" in sys.modules}}))
"""


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_a_server_process_freezes_the_loaded_app(module):
    found = probe(PROBE.format(module=module))
    assert found["urls"] is True  # the URLconf and every view module were loaded first
    assert found["frozen"] > 50_000  # Django, the apps and the views: out of the collector's sight


def test_each_celery_pool_process_freezes_at_start():
    from config import celery

    receivers = [ref() for _, ref in worker_process_init.receivers]
    assert celery._freeze_startup in receivers
