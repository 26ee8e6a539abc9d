"""The WebSocket URLs (config/asgi.py routes "websocket" here). Consumers live in their app:
the desk's in live/consumers.py, the chat widget's in widget/consumers.py.

The desk's socket is wrapped here, not in asgi.py, because the widget's is embedded in other
sites: only the desk needs the session (AuthMiddlewareStack) and the check that the page
opening it is ours (live/security.py: the Origin is the host the socket was opened on)."""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from django.urls import path

from .consumers import DeskConsumer
from .security import SameOriginOnly

websocket_urlpatterns: list = [
    path(
        "ws/desk/",
        SameOriginOnly(AuthMiddlewareStack(DeskConsumer.as_asgi())),
        name="ws-desk",
    ),
]
