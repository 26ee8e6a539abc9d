"""Thin Celery task: fold the views' kept counts (desk.queue_counts)."""

from __future__ import annotations

from celery import shared_task

from . import queue_counts


@shared_task(name="desk.queue_counts_compact", soft_time_limit=45, time_limit=60)
def queue_counts_compact() -> int:
    return queue_counts.compact()
