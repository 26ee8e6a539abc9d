"""The providers' webhook door: /api/v1/hooks/<kind>/<channel id>/ (see providers.py)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import (
    AuthenticationFailed,
    MethodNotAllowed,
    NotFound,
    ParseError,
    PermissionDenied,
)
from rest_framework.response import Response
from rest_framework.views import APIView

from . import registry
from .models import Channel
from .providers import PayloadRejected, SignatureRejected, provider_receive


def _channel_and_hooks(kind: str, channel_id: int):
    adapter = registry.find(kind)
    if adapter is None or adapter.provider is None:
        raise NotFound(f"No provider webhook for channel kind {kind!r}.")
    channel = Channel.objects.filter(pk=channel_id, kind=kind, is_active=True).first()
    if channel is None:
        raise NotFound(f"No active {kind} channel {channel_id}.")
    return channel, adapter.provider


def _verify(hooks, channel, request) -> None:
    try:
        hooks.verify(channel, request)
    except SignatureRejected as exc:
        if exc.status == 401:
            raise AuthenticationFailed(exc.reason) from exc
        raise PermissionDenied(exc.reason) from exc


class ProviderHookView(APIView):
    """A provider posts here in its own format, signed its own way; nothing is stored unless
    the signature holds. Answers 200 once the body's messages are stored (the provider's
    retry of the same message is a duplicate and changes nothing)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    # The adapter reads the body itself (form-encoded for Twilio, JSON for the others): the
    # signature is over the exact bytes, so no parser may touch them first.
    parser_classes: list = []

    def get_authenticate_header(self, request) -> str:
        # Without authenticators DRF turns every 401 into a 403; an unsigned body is a 401
        # (the provider did not prove itself), a wrong signature stays a 403.
        return f'Signature realm="{self.kwargs.get("kind", "provider")} webhook"'

    @extend_schema(exclude=True)
    def get(self, request, kind: str, channel_id: int):
        channel, hooks = _channel_and_hooks(kind, channel_id)
        if hooks.handshake is None:
            raise MethodNotAllowed("GET")
        return hooks.handshake(channel, request)

    @extend_schema(exclude=True)
    def post(self, request, kind: str, channel_id: int) -> Response | HttpResponse:
        channel, hooks = _channel_and_hooks(kind, channel_id)
        _verify(hooks, channel, request)
        try:
            items = hooks.parse(channel, request)
        except PayloadRejected as exc:
            raise ParseError(str(exc)) from exc
        received = provider_receive(channel, items)
        if hooks.acknowledge is not None:
            return hooks.acknowledge(channel, items)
        return Response(
            {
                "ok": True,
                "stored": len(received.stored),
                "duplicates": received.duplicates,
                "statuses": received.statuses,
            },
            status=status.HTTP_200_OK,
        )
