from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Helpdesk: people, tokens and API plumbing"

    def ready(self) -> None:
        from . import idempotency, wiring
        from .api.fields import require_json_types
        from .celery import app as celery_app

        require_json_types()
        idempotency.install()
        # Every app's tasks registered now (not when first imported), so services can queue
        # a task by its name without importing their tasks module (helpdesk/queueing.py).
        celery_app.autodiscover_tasks(force=True)
        # Every app's event handlers and signals, in one explicit order (helpdesk/wiring.py).
        # ready() runs once all apps' models are loaded, so the handlers may import any model.
        wiring.connect()
