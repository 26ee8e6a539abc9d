"""Outbox tasks: one attempt right after commit, and the one sweep that drains what is due."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="outbox.send", ignore_result=True, soft_time_limit=60, time_limit=90)
def send(row_id: int) -> None:
    services.outbox_send_now(row_id)


@shared_task(name="outbox.send_many", ignore_result=True, soft_time_limit=120, time_limit=180)
def send_many(row_ids: list[int]) -> None:
    """One attempt for each row (queued together by outbox_enqueue_many(per_task=...)): each
    claimed just before its attempt; rows a time limit leaves are the outbox sweep's."""
    for row_id in row_ids:
        services.outbox_send_now(row_id)


# Sends inline (a transport timeout each at worst): on the outbound queue.
@shared_task(name="outbox.sweep", ignore_result=True, soft_time_limit=120, time_limit=180)
def sweep() -> int:
    return services.outbox_sweep()
