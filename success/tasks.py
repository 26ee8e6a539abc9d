"""Thin Celery tasks: the follow-up sweep and the daily health refresh."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from core.sweeps import sweep_due

from . import health, services, sweep_batch


# Queues follow-up emails in the outbox a batch at a time (success.sweep_batch; a failing
# batch goes row by row), opens outreach tickets and surveys; a soft limit ends the sweep
# between batches (core.sweeps), the next sweep going on from there.
@shared_task(name="followups.sweep", soft_time_limit=120, time_limit=180)
def followup_sweep() -> int:
    return sweep_due(
        services.due_followups()
        .select_related("rule", "customer")
        # What the templates and the thread key read, per batch rather than per row (a
        # prefetch, not a join: the nullable side of an outer join cannot be locked).
        .prefetch_related("customer__identities", "delivery", "ticket"),
        handle=services.followup_execute,
        handle_batch=sweep_batch.followups_execute_batch,
        on_error=services.followup_failed,
        batch_size=settings.FOLLOWUP_SWEEP_BATCH,
    )


@shared_task(name="followups.health_sweep", soft_time_limit=60, time_limit=90)
def health_sweep() -> int:
    return sweep_due(
        health.uncounted_experiences().select_related("customer"),
        handle=health.health_sweep_handle,
        batch_size=settings.FOLLOWUP_SWEEP_BATCH,
    )


@shared_task(name="followups.expire_old_flags", soft_time_limit=300, time_limit=360)
def expire_old_flags() -> int:
    return health.expire_old_flags()
