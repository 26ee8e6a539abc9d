from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from helpdesk import events

        from .models import WebhookSubscription
        from .subscriptions import on_event, subscriptions_cache_clear

        events.subscribe("*", on_event)
        post_save.connect(subscriptions_cache_clear, sender=WebhookSubscription, weak=False)
        post_delete.connect(subscriptions_cache_clear, sender=WebhookSubscription, weak=False)
