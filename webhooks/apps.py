from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from helpdesk import events

        from .subscriptions import on_event

        events.subscribe("*", on_event)
