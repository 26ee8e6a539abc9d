"""Webhook tasks: one delivery right after commit, and the sweep that retries due ones."""

from __future__ import annotations

from celery import shared_task

from core.sweeps import sweep_due

from . import services


@shared_task(name="webhooks.deliver", soft_time_limit=30, time_limit=60)
def deliver_webhook(delivery_id: int) -> None:
    services.delivery_attempt_by_id(delivery_id)


# POSTs inline (one WEBHOOK_TIMEOUT_SECONDS each at worst): on the outbound queue.
@shared_task(name="webhooks.sweep_deliveries", soft_time_limit=120, time_limit=180)
def sweep_webhook_deliveries() -> int:
    return sweep_due(services.deliveries_due(), handle=services.delivery_attempt)
