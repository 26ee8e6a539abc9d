"""The portal's own sign-in state: a signed cookie of its own, never Django's session.

The cookie (`helpdesk_portal`, HttpOnly, SameSite=Lax, Secure outside debug, path /portal/)
carries the signed id of a PortalSignIn row; a twin (`helpdesk_portal_help`, path /help/) lets
the help center show a signed-in customer their tier's articles. Only `customer_required` and
the help-center middleware read them, so a portal session authenticates nothing else (desk,
admin and API look at Django's session and tokens, which it never touches), and an agent's
Django session is not a customer: the portal never looks at `request.user`.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from customers.locales import locale_from_header

from .services import session_token, sign_in_from_session

COOKIE = "helpdesk_portal"
COOKIE_PATH = "/portal/"
# The same token for the help center (knowledge/), which shows a signed-in customer their
# tier's articles: a cookie of its own name, since a response holds one cookie per name.
HELP_COOKIE = "helpdesk_portal_help"
HELP_COOKIE_PATH = "/help/"
_COOKIES = ((COOKIE, COOKIE_PATH), (HELP_COOKIE, HELP_COOKIE_PATH))


def browser_locale(request: HttpRequest) -> str:
    return request.headers.get("Accept-Language", "")


def page_locale(request: HttpRequest) -> str:
    """The signed-in customer's language, else the browser's, else the default."""
    customer = getattr(request, "portal_customer", None)
    if customer is not None and customer.locale:
        return customer.locale
    return locale_from_header(browser_locale(request)) or settings.LANGUAGE_CODE


def in_page_locale(view):
    """Render the view in the page's language (the portal only: no LocaleMiddleware)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        locale = page_locale(request)
        with translation.override(locale):
            response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Language", locale)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response

    return wrapper


def customer_required(view):
    """A customer signed in to the portal; anyone else (an agent's desk session included) is
    sent to the portal's sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        sign_in = sign_in_from_session(request.COOKIES.get(COOKIE))
        if sign_in is None:
            response = redirect(reverse("portal:sign-in"))
            if COOKIE in request.COOKIES:
                clear_portal_cookie(response)
            return response
        request.portal_sign_in = sign_in
        request.portal_customer = sign_in.customer
        return view(request, *args, **kwargs)

    return wrapper


def set_portal_cookie(response: HttpResponse, sign_in) -> None:
    for name, path in _COOKIES:
        response.set_cookie(
            name,
            session_token(sign_in),
            max_age=settings.PORTAL_SESSION_HOURS * 3600,
            path=path,
            secure=not settings.DEBUG,
            httponly=True,
            samesite="Lax",
        )


def clear_portal_cookie(response: HttpResponse) -> None:
    for name, path in _COOKIES:
        response.delete_cookie(name, path=path, samesite="Lax")


class HelpCenterCustomerMiddleware:
    """On /help/ pages, `request.customer` is the customer signed in to the portal (or None),
    so the help center shows them their tier's articles and channels. knowledge/ sits below
    portal/ and cannot read the portal's cookie itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/help/"):
            sign_in = sign_in_from_session(request.COOKIES.get(HELP_COOKIE))
            request.customer = sign_in.customer if sign_in is not None else None
        return self.get_response(request)
