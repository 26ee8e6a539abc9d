"""The desk's socket opens only from the desk's own pages: the browser's Origin header names
the same scheme-less host:port the socket was opened on (the Host header, which a proxy passes
on), or one of CSRF_TRUSTED_ORIGINS (a proxy that rewrites Host). A page on another site
cannot ride an agent's session cookie into a socket (cross-site WebSocket hijacking).
ALLOWED_HOSTS alone would not do: it is "*" in development."""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings


def same_origin(origin: str, host: str) -> bool:
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if host and parts.netloc.lower() == host.lower():
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS}


class SameOriginOnly:
    """ASGI middleware for a websocket route: refuse (close before accept) a cross-origin one."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        if not same_origin(origin, host):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
