"""URL configuration: the API under /api/v1/, its schema and docs, probes, the agents' desk
under /desk/, the customer portal under /portal/, admin."""

from django.contrib import admin
from django.urls import include, path

from config import api_router as router
from config import deferred_views, health
from success.views import survey_answer_view

handler400 = "api.errors.json_handler400"
handler404 = "api.errors.json_handler404"
handler500 = "api.errors.json_handler500"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include(router.urlpatterns)),
    # The schema, its docs and the providers' webhooks import their modules on first use
    # (config/deferred_views.py): most web workers never serve them.
    path("api/schema/", deferred_views.schema, name="schema"),
    path("api/docs/", deferred_views.docs, name="api-docs"),
    path("surveys/<str:token>/", survey_answer_view, name="survey-answer"),
    path("desk/", include("desk.urls")),
    path("portal/", include("portal.urls")),
    path("help/", include("knowledge.urls")),
    # The chat widget: its loader script, its frame and the visitor's API (widget/).
    path("chat/", include("widget.urls")),
    path("admin/", admin.site.urls),
    # Email providers' inbound webhooks (django-anymail): /anymail/<esp>/inbound/
    path("anymail/<path:route>", deferred_views.anymail_webhook, name="anymail-webhook"),
]
