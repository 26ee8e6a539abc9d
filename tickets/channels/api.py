"""Channel endpoints: /channels/ (configuration) and the inbound doors /inbound/email|chat|
calls|social/. The doors validate, store the raw payload (intake_store) and answer 202 with the
stored row; a duplicate delivery answers 200 with the row it duplicates."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import INTEGRATION, MANAGER, MANAGERS, STAFF
from api.fields import LabelChoiceField
from core.unset import UNSET

from ..models import ChannelKind, Priority, Team
from . import config, registry
from .email.parse import parse_email
from .intake import intake_store
from .models import Channel, InboundMessage

INBOUND_CALLERS = frozenset({INTEGRATION, MANAGER})


class ChannelSerializer(serializers.ModelSerializer):
    default_priority = LabelChoiceField(Priority, required=False)
    default_team_id = serializers.PrimaryKeyRelatedField(
        source="default_team",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
    )
    settings = serializers.DictField(
        required=False,
        help_text="Per kind: email {address, from_name, imap{host, port, username, password, "
        "ssl, folder}}; chat {widget_id, webhook_url, webhook_secret}; phone {number, and for "
        "Twilio voice account_sid, auth_token, public_url}; social {platform, account, "
        "webhook_url, webhook_secret}; telegram {bot_token, secret_token, bot_username}; sms "
        "{number, account_sid, auth_token, public_url}. Secrets are shown masked.",
    )

    class Meta:
        model = Channel
        fields = [
            "id",
            "kind",
            "name",
            "settings",
            "default_team_id",
            "default_priority",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_settings(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Settings must be an object.")
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["settings"] = config.public_settings(instance.settings)
        return data


class ChannelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Configured entry points (mailboxes, chat widgets, numbers, social accounts).
    Agents read, managers configure; deactivate a channel instead of deleting it."""

    serializer_class = ChannelSerializer
    queryset = Channel.objects.select_related("default_team")
    roles = {"read": STAFF, "write": MANAGERS}
    filterset_fields = ["kind", "is_active"]
    ordering_fields = ["name", "created_at"]
    ordering = "name"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _save(self, serializer, channel: Channel) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = config.channel_save(
                channel=channel,
                kind=data.get("kind", UNSET),
                name=data.get("name", UNSET),
                settings=data.get("settings", UNSET),
                default_team=data.get("default_team", UNSET),
                default_priority=data.get("default_priority", UNSET),
                is_active=data.get("is_active", UNSET),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc

    def perform_create(self, serializer):
        if "kind" not in serializer.validated_data:
            raise serializers.ValidationError({"kind": ["This field is required."]})
        self._save(serializer, Channel())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


class InboundMessageSerializer(serializers.ModelSerializer):
    channel = serializers.PrimaryKeyRelatedField(read_only=True)
    ticket_id = serializers.IntegerField(read_only=True, allow_null=True)
    message_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "channel",
            "kind",
            "door",
            "dedupe_key",
            "state",
            "attempts",
            "error",
            "classification",
            "received_at",
            "processed_at",
            "ticket_id",
            "message_id",
        ]
        read_only_fields = fields


def _accepted(row: InboundMessage, created: bool) -> Response:
    return Response(
        InboundMessageSerializer(row).data,
        status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
    )


def _channel_error(kind: str, ref) -> serializers.ValidationError:
    if ref not in (None, ""):
        return serializers.ValidationError(
            {"channel": [f"No active {kind} channel {ref!r}."]}, code="unknown_channel"
        )
    return serializers.ValidationError(
        {"channel": [f"Name the {kind} channel: none or several are active."]},
        code="unknown_channel",
    )


INBOUND_RESPONSES = {
    202: OpenApiResponse(InboundMessageSerializer, description="Stored; processed shortly."),
    200: OpenApiResponse(InboundMessageSerializer, description="A duplicate: the stored row."),
}


class RawEmailParser(parsers.BaseParser):
    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class PlainTextEmailParser(RawEmailParser):
    media_type = "text/plain"


class InboundEmailView(APIView):
    """A raw RFC 822 email (from an MTA pipe or an integration). The channel is `?channel=`
    (id or name), else the mailbox the email was sent to (To, Cc, Delivered-To)."""

    roles = {"write": INBOUND_CALLERS, "read": INBOUND_CALLERS}
    parser_classes = [RawEmailParser, PlainTextEmailParser]
    max_body_bytes = 40 * 1024 * 1024

    @extend_schema(
        operation_id="inbound_email",
        request={"message/rfc822": OpenApiTypes.BINARY, "text/plain": OpenApiTypes.STR},
        parameters=[OpenApiParameter("channel", str, description="Channel id or name.")],
        responses=INBOUND_RESPONSES,
    )
    def post(self, request):
        adapter = registry.adapter(ChannelKind.EMAIL)
        raw = request.data if isinstance(request.data, bytes) else b""
        try:
            # Only "no email" or "no sender at all" is refused; a part that cannot be stored
            # is withheld when the row is processed, never a reason to refuse the email.
            parsed = parse_email(raw)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        ref = request.query_params.get("channel")
        channel = adapter.channel_for({"channel": ref, "recipients": parsed.recipients})
        if channel is None:
            raise _channel_error(adapter.kind, ref)
        row, created = intake_store(
            channel=channel,
            dedupe_key=adapter.dedupe_key(raw),
            raw_bytes=raw,
            submitted_by=request.user,
        )
        return _accepted(row, created)


def _json_door_store(request, kind: str) -> Response:
    """Validate a JSON payload with the kind's adapter, find its channel, store it raw."""
    adapter = registry.find(kind)
    if adapter is None or adapter.payload_serializer is None:
        raise NotFound(f"No inbound door for channel kind {kind!r}.")
    payload = adapter.payload_serializer(data=request.data)
    payload.is_valid(raise_exception=True)
    channel = adapter.channel_for(payload.validated_data)
    if channel is None:
        raise _channel_error(kind, payload.validated_data.get("channel"))
    row, created = intake_store(
        channel=channel,
        dedupe_key=adapter.dedupe_key(payload.validated_data),
        raw_json=request.data,
        submitted_by=request.user,
    )
    return _accepted(row, created)


class _JsonDoor(APIView):
    """The door of one kind whose adapter takes a JSON payload (the schema names its body)."""

    roles = {"write": INBOUND_CALLERS, "read": INBOUND_CALLERS}
    kind: str

    def post(self, request):
        return _json_door_store(request, self.kind)


def _door_schema(kind: str, operation_id: str):
    """The OpenAPI operation of a kind's door: its adapter's payload serializer as the body.
    Evaluated when the URLconf loads, after tickets' ready() registered the adapters."""
    return extend_schema(
        operation_id=operation_id,
        request=registry.adapter(kind).payload_serializer,
        responses=INBOUND_RESPONSES,
    )


class InboundChatView(_JsonDoor):
    """A visitor's chat message; one conversation is one ticket until it goes idle."""

    kind = ChannelKind.CHAT

    @_door_schema(ChannelKind.CHAT, "inbound_chat")
    def post(self, request):
        return super().post(request)


class InboundCallView(_JsonDoor):
    """A call record from the telephony integration (one per call id)."""

    kind = ChannelKind.PHONE

    @_door_schema(ChannelKind.PHONE, "inbound_call")
    def post(self, request):
        return super().post(request)


class InboundSocialView(_JsonDoor):
    """A social post or private message in a normalized shape, whatever the platform."""

    kind = ChannelKind.SOCIAL

    @_door_schema(ChannelKind.SOCIAL, "inbound_social")
    def post(self, request):
        return super().post(request)


class InboundKindView(APIView):
    """The door of any registered channel kind that takes a JSON payload, by its kind
    (`/inbound/chat/` and the named doors above are the documented shapes of the built-in
    kinds; a kind added by an adapter alone is reachable here at once)."""

    roles = {"write": INBOUND_CALLERS, "read": INBOUND_CALLERS}

    @extend_schema(
        operation_id="inbound_by_kind",
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter(
                "kind", str, OpenApiParameter.PATH, description="A registered channel kind."
            )
        ],
        responses={
            **INBOUND_RESPONSES,
            404: OpenApiResponse(description="No such kind, or it takes no JSON payload."),
        },
    )
    def post(self, request, kind: str):
        return _json_door_store(request, kind)
