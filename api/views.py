"""Small endpoints of the API itself."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import EVERYONE, roles_of

MeSerializer = inline_serializer(
    "Me",
    {
        "id": serializers.IntegerField(),
        "username": serializers.CharField(),
        "role": serializers.CharField(),
        "roles": serializers.ListField(child=serializers.CharField()),
        "teams": serializers.ListField(child=serializers.IntegerField()),
    },
)


class MeView(APIView):
    """Who the credential belongs to: integrations use it to check a new token."""

    roles = {"read": EVERYONE}

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "role": user.role,
                "roles": sorted(roles_of(user)),
                "teams": list(user.teams.values_list("pk", flat=True)),
            }
        )


class PingBodySerializer(serializers.Serializer):
    echo = serializers.JSONField(required=False, allow_null=True)


class PingView(APIView):
    """A no-op that goes through the whole stack (auth, throttling, the write transaction,
    Idempotency-Key): for integrations testing connectivity, and the benchmarks' reference."""

    roles = {"read": EVERYONE, "write": EVERYONE}
    parser_classes = [JSONParser]

    @extend_schema(responses=inline_serializer("Pong", {"ok": serializers.BooleanField()}))
    def get(self, request):
        return Response({"ok": True})

    @extend_schema(
        request=PingBodySerializer,
        responses=inline_serializer(
            "PingEcho", {"ok": serializers.BooleanField(), "echo": serializers.JSONField()}
        ),
    )
    def post(self, request):
        body = PingBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response({"ok": True, "echo": body.validated_data.get("echo")})
