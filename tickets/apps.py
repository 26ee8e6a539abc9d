from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from anymail.signals import inbound

        from helpdesk import events

        from .channels.anymail_inbound import on_anymail_inbound
        from .channels.outbound import on_message_created

        events.subscribe(events.MESSAGE_CREATED, on_message_created)
        inbound.connect(on_anymail_inbound, dispatch_uid="tickets.channels.anymail_inbound")
