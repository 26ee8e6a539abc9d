from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = "Project: wiring of handlers, registry of tasks, demo data"

    def ready(self) -> None:
        from api.fields import require_json_types
        from config import wiring
        from config.celery import app as celery_app

        require_json_types()
        # Every app's tasks registered now (not when first imported), so services can queue
        # a task by its name without importing their tasks module (core/queueing.py).
        celery_app.autodiscover_tasks(force=True)
        # Every app's event handlers and signals, in one explicit order (config/wiring.py).
        # ready() runs once all apps' models are loaded, so the handlers may import any model.
        wiring.connect()
