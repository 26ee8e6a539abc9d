"""The WebSocket URLs (config/asgi.py routes "websocket" here). Consumers live in their app:
the desk's in live/consumers.py, the chat widget's in widget/consumers.py."""

from __future__ import annotations

websocket_urlpatterns: list = []
