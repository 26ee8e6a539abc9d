"""URLs and WSGI application of the bare reference: one no-op view."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class Noop(APIView):
    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"echo": request.data.get("echo")})


urlpatterns = [path("noop/", Noop.as_view())]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare.settings"
application = get_wsgi_application()
