"""The helpdesk project package: settings, URLs, the Celery app, API plumbing, auth and roles."""

from .celery import app as celery_app

__all__ = ["celery_app"]
