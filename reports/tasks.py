"""Thin Celery task: keep the at-risk episodes current."""

from __future__ import annotations

from celery import shared_task

from . import services
from .rollups import refresh


@shared_task(name="reports.at_risk_episodes_sync", soft_time_limit=45, time_limit=60)
def at_risk_episodes_sync() -> dict[str, int]:
    return services.at_risk_episodes_sync()


@shared_task(name="reports.rollups_refresh", soft_time_limit=45, time_limit=60)
def rollups_refresh() -> dict[str, object]:
    result = refresh.rollups_refresh()
    if "fresh_as_of" in result:  # a JSON result
        result["fresh_as_of"] = result["fresh_as_of"].isoformat()
    return result
