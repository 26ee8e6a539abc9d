from django.apps import AppConfig
from django.utils.module_loading import import_string

# The adapter of each channel kind (tickets/channels/registry.py), registered at app ready.
CHANNEL_ADAPTERS = (
    "tickets.channels.email.adapter.ADAPTER",
    "tickets.channels.chat.ADAPTER",
    "tickets.channels.phone.ADAPTER",
    "tickets.channels.social.ADAPTER",
    "tickets.channels.direct.WEB",
    "tickets.channels.direct.API",
    "tickets.channels.meta.whatsapp.ADAPTER",
    "tickets.channels.meta.messenger.MESSENGER",
    "tickets.channels.meta.messenger.INSTAGRAM",
)


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from .channels import registry

        for path in CHANNEL_ADAPTERS:
            registry.register(import_string(path))
