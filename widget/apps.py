from django.apps import AppConfig


class WidgetConfig(AppConfig):
    name = "widget"
    verbose_name = "Live chat widget"

    def ready(self) -> None:
        from django.urls import path

        from live.routing import websocket_urlpatterns
        from outbox import transports

        from . import transport
        from .consumers import VisitorConsumer

        # The chat kind's reply transport (tickets/channels/chat.py reply_transport="chat").
        transports.register("chat", transport.send)
        # The visitor's socket. live sits below the widget (it may not import it), so the
        # widget adds its route to live's list here; config/asgi.py reads the list after
        # django.setup(), when every app is ready.
        if not any(getattr(p, "name", None) == "widget-visitor" for p in websocket_urlpatterns):
            websocket_urlpatterns.append(
                path("ws/chat/", VisitorConsumer.as_asgi(), name="widget-visitor")
            )
