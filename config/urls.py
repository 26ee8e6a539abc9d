"""URL configuration: the API under /api/v1/, its schema and docs, probes, the agents' desk
under /desk/, the customer portal under /portal/, admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import api_router as router
from config import health
from success.views import survey_answer_view

handler400 = "api.errors.json_handler400"
handler404 = "api.errors.json_handler404"
handler500 = "api.errors.json_handler500"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include(router.urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("surveys/<str:token>/", survey_answer_view, name="survey-answer"),
    path("desk/", include("desk.urls")),
    path("portal/", include("portal.urls")),
    path("help/", include("knowledge.urls")),
    # The chat widget: its loader script, its frame and the visitor's API (widget/).
    path("chat/", include("widget.urls")),
    path("admin/", admin.site.urls),
    # Email providers' inbound webhooks (django-anymail): /anymail/<esp>/inbound/
    path("anymail/", include("anymail.urls")),
]
