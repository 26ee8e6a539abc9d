"""Webhook tasks: one delivery right after commit, and the sweep that retries due ones."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from helpdesk.sweeps import sweep_due

from . import services
from .models import WebhookDelivery


@shared_task
def deliver_webhook(delivery_id: int) -> None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is not None:
            services.delivery_attempt(delivery)


@shared_task
def sweep_webhook_deliveries() -> int:
    return sweep_due(services.deliveries_due(), handle=services.delivery_attempt)
