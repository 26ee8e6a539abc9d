"""Celery tasks of the knowledge base: thin, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import search


@shared_task(
    name="knowledge.lexicon_rebuild", ignore_result=True, soft_time_limit=540, time_limit=600
)
def lexicon_rebuild() -> int:
    """Recount the search lexicon (typo correction, informative words of suggestions)."""
    return search.lexicon_rebuild()
