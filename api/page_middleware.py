"""Django's session, user and messages middlewares, skipped for token-authenticated API
requests (the light path).

A request to /api/ with `Authorization: Token|Bearer <key>` is authenticated by the token
alone (a token header is either valid or a 401; DRF never consults the session then), and its
JSON answer needs no session, signed-in user or messages. Each class here is Django's own (a
subclass: the admin's system checks still find it) and does exactly what Django's does for
every other request, including /api/ requests without a token: a desk session calling the
API keeps session authentication and DRF's CSRF check.
"""

from __future__ import annotations

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest

TOKEN_KEYWORDS = ("token ", "bearer ")


def is_token_api_request(request: HttpRequest) -> bool:
    if not request.path_info.startswith("/api/"):
        return False
    return request.META.get("HTTP_AUTHORIZATION", "")[:7].lower().startswith(TOKEN_KEYWORDS)


class _PagesOnly:
    """Mixed in before a MiddlewareMixin middleware: token API requests pass straight by."""

    def __call__(self, request: HttpRequest):
        if is_token_api_request(request):
            return self.get_response(request)
        return super().__call__(request)


class PageSessionMiddleware(_PagesOnly, SessionMiddleware):
    pass


class PageAuthenticationMiddleware(_PagesOnly, AuthenticationMiddleware):
    pass


class PageMessageMiddleware(_PagesOnly, MessageMiddleware):
    pass
