"""Views whose modules are imported on their first request, not when the URLconf loads.

Every web worker loads the URLconf on its first request; these few routes are seldom asked
for and their modules are heavy: the OpenAPI schema and its docs page (drf_spectacular.views
pulls in django.test, unittest and jinja2) and the email providers' inbound webhooks
(anymail.urls imports every provider's module, cryptography's bindings among them). Deferred,
a worker that never serves them never holds them (tests/config/test_lazy_imports.py)."""

from __future__ import annotations

from functools import cache

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, URLResolver
from django.urls.resolvers import RegexPattern
from django.views.decorators.csrf import csrf_exempt


@cache
def _schema_views() -> tuple:
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    return SpectacularAPIView.as_view(), SpectacularSwaggerView.as_view(url_name="schema")


# csrf_exempt as DRF's own as_view() is: a DRF view does its CSRF check in authentication.
@csrf_exempt
def schema(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """/api/schema/: drf-spectacular's SpectacularAPIView."""
    return _schema_views()[0](request, *args, **kwargs)


@csrf_exempt
def docs(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """/api/docs/: drf-spectacular's Swagger UI page, reading the schema above."""
    return _schema_views()[1](request, *args, **kwargs)


@cache
def _anymail_resolver() -> URLResolver:
    return URLResolver(RegexPattern(r"^"), "anymail.urls")


@csrf_exempt
def anymail_webhook(request: HttpRequest, route: str) -> HttpResponse:
    """/anymail/<route>: the route resolved against anymail.urls and its view called, as
    `include("anymail.urls")` would (every anymail webhook view is csrf_exempt, as this is)."""
    try:
        match = _anymail_resolver().resolve(route)
    except Resolver404 as exc:
        raise Http404(route) from exc
    return match.func(request, *match.args, **match.kwargs)
