"""The WebSocket URLs (config/asgi.py routes "websocket" here). Consumers live in their app:
the desk's in live/consumers.py, the chat widget's in widget/consumers.py.

The desk's socket is wrapped here, not in asgi.py, because the widget's is embedded in other
sites: only the desk needs the session (AuthMiddlewareStack) and the check that the page
opening it is ours (AllowedHostsOriginValidator: the Origin's host is one of ALLOWED_HOSTS)."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from .consumers import DeskConsumer

websocket_urlpatterns: list = [
    path(
        "ws/desk/",
        AllowedHostsOriginValidator(AuthMiddlewareStack(DeskConsumer.as_asgi())),
        name="ws-desk",
    ),
]
