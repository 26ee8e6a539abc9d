"""The Celery application. Configuration lives in settings under the CELERY_ prefix."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_startup(**_kwargs) -> None:
    """Each pool process, once it is ready (config.gc_tuning)."""
    from config.gc_tuning import freeze_startup

    freeze_startup()
