"""Housekeeping tasks of the project package."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts import services


@shared_task(name="helpdesk.purge_idempotency_keys", soft_time_limit=300, time_limit=360)
def purge_expired_idempotency_keys() -> int:
    return services.idempotency_records_purge(
        older_than=timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    )
