from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Helpdesk: people, tokens and API plumbing"

    def ready(self) -> None:
        from . import idempotency
        from .api.fields import require_json_types

        require_json_types()
        idempotency.install()
