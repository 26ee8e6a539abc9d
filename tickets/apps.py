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
    "tickets.channels.telegram.ADAPTER",
    "tickets.channels.sms.ADAPTER",
)
# The outbox transports of the providers' APIs, registered by name (the channel kind).
CHANNEL_TRANSPORTS = (
    ("telegram", "tickets.channels.telegram_api.send"),
    ("sms", "tickets.channels.twilio.send_sms"),
    ("whatsapp", "tickets.channels.meta.whatsapp.send"),
    ("messenger", "tickets.channels.meta.messenger.send_messenger"),
    ("instagram", "tickets.channels.meta.messenger.send_instagram"),
)


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from outbox import transports

        from .channels import registry

        for path in CHANNEL_ADAPTERS:
            registry.register(import_string(path))
        for name, path in CHANNEL_TRANSPORTS:
            transports.register(name, import_string(path))
