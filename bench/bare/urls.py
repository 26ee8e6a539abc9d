"""One no-op DRF view: GET answers {"ok": true}, POST echoes the body's `echo`."""

from __future__ import annotations

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class NoopView(APIView):
    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True, "echo": request.data.get("echo")})


urlpatterns = [path("noop/", NoopView.as_view())]
