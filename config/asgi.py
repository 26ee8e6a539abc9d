"""The ASGI application: Django's HTTP handler and the WebSocket routes (Django Channels).
Served by uvicorn (`make run`, compose's `live` service); gunicorn keeps serving plain HTTP
through config.wsgi where no socket is needed."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_http = get_asgi_application()  # before importing anything that touches models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.gc_tuning import freeze_startup  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_http, "websocket": URLRouter(websocket_urlpatterns)}
)
freeze_startup()
