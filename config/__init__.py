"""The project's assembly: settings, URLs, the Celery app, probes, the API router, the
wiring of every app's handlers, demo data. It imports the apps; no app imports it."""

from .celery import app as celery_app

__all__ = ["celery_app"]
