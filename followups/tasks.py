"""Thin Celery tasks: the follow-up sweep and the daily health refresh."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from helpdesk.sweeps import sweep_due

from . import health, services


@shared_task(name="followups.sweep")
def followup_sweep() -> int:
    return sweep_due(
        services.due_followups()
        .select_related("rule", "customer")
        .prefetch_related("customer__identities"),
        handle=services.followup_execute,
        on_error=services.followup_failed,
        batch_size=settings.FOLLOWUP_SWEEP_BATCH,
    )


@shared_task(name="followups.health_sweep")
def health_sweep() -> int:
    return sweep_due(
        health.uncounted_experiences().select_related("customer"),
        handle=health.health_sweep_handle,
        batch_size=settings.FOLLOWUP_SWEEP_BATCH,
    )


@shared_task(name="followups.expire_old_flags")
def expire_old_flags() -> int:
    return health.expire_old_flags()
