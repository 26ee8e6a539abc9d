"""Webhook tasks: one delivery right after commit, and the sweep that retries due ones."""

from __future__ import annotations

from celery import shared_task

from helpdesk.sweeps import sweep_due

from . import services


@shared_task
def deliver_webhook(delivery_id: int) -> None:
    services.delivery_attempt_by_id(delivery_id)


@shared_task
def sweep_webhook_deliveries() -> int:
    return sweep_due(services.deliveries_due(), handle=services.delivery_attempt)
