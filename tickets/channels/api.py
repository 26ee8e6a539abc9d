"""Channel endpoints: /channels/ (configuration) and the inbound doors /inbound/email|chat|
calls|social/. The doors validate, store the raw payload (intake_store) and answer 202 with the
stored row; a duplicate delivery answers 200 with the row it duplicates."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import INTEGRATION, MANAGER, MANAGERS, STAFF
from api.fields import LabelChoiceField
from core.unset import UNSET

from ..models import ChannelKind, Priority, Team
from . import chat, config, phone, social
from . import email as email_channel
from .intake import intake_store, resolve_channel
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
        "ssl, folder}}; chat {widget_id, webhook_url, webhook_secret}; phone {number}; social "
        "{platform, account, webhook_url, webhook_secret}. Secrets are shown masked.",
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
        raw = request.data if isinstance(request.data, bytes) else b""
        try:
            # Only "no email" or "no sender at all" is refused; a part that cannot be stored
            # is withheld when the row is processed, never a reason to refuse the email.
            parsed = email_channel.parse_email(raw)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        ref = request.query_params.get("channel")
        channel = resolve_channel(
            ChannelKind.EMAIL, ref, address_candidates=() if ref else parsed.recipients
        )
        if channel is None:
            raise _channel_error("email", ref)
        row, created = intake_store(
            channel=channel,
            dedupe_key=email_channel.dedupe_key(raw),
            raw_bytes=raw,
            submitted_by=request.user,
        )
        return _accepted(row, created)


class _JsonDoor(APIView):
    roles = {"write": INBOUND_CALLERS, "read": INBOUND_CALLERS}
    kind: str
    payload_serializer: type[serializers.Serializer]
    dedupe = staticmethod(lambda data: "")

    def find_channel(self, data: dict) -> Channel | None:
        return resolve_channel(self.kind, data.get("channel"))

    def post(self, request):
        payload = self.payload_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        channel = self.find_channel(payload.validated_data)
        if channel is None:
            raise _channel_error(self.kind, payload.validated_data.get("channel"))
        row, created = intake_store(
            channel=channel,
            dedupe_key=self.dedupe(payload.validated_data),
            raw_json=request.data,
            submitted_by=request.user,
        )
        return _accepted(row, created)


class InboundChatView(_JsonDoor):
    """A visitor's chat message; one conversation is one ticket until it goes idle."""

    kind = ChannelKind.CHAT
    payload_serializer = chat.ChatPayloadSerializer
    dedupe = staticmethod(chat.dedupe_key)

    @extend_schema(
        operation_id="inbound_chat",
        request=chat.ChatPayloadSerializer,
        responses=INBOUND_RESPONSES,
    )
    def post(self, request):
        return super().post(request)


class InboundCallView(_JsonDoor):
    """A call record from the telephony integration (one per call id)."""

    kind = ChannelKind.PHONE
    payload_serializer = phone.CallPayloadSerializer
    dedupe = staticmethod(phone.dedupe_key)

    def find_channel(self, data: dict) -> Channel | None:
        if data.get("channel") or not data.get("to_number"):
            return super().find_channel(data)
        active = Channel.objects.filter(kind=ChannelKind.PHONE, is_active=True)
        by_number = [c for c in active if c.settings.get("number") == data["to_number"]]
        return by_number[0] if by_number else super().find_channel(data)

    @extend_schema(
        operation_id="inbound_call",
        request=phone.CallPayloadSerializer,
        responses=INBOUND_RESPONSES,
    )
    def post(self, request):
        return super().post(request)


class InboundSocialView(_JsonDoor):
    """A social post or private message in a normalized shape, whatever the platform."""

    kind = ChannelKind.SOCIAL
    payload_serializer = social.SocialPayloadSerializer
    dedupe = staticmethod(social.dedupe_key)

    def find_channel(self, data: dict) -> Channel | None:
        if data.get("channel"):
            return super().find_channel(data)
        active = Channel.objects.filter(kind=ChannelKind.SOCIAL, is_active=True)
        for channel in active:
            if (
                channel.settings.get("platform") == data["platform"]
                and channel.settings.get("account", "").lstrip("@").lower()
                == data["account"].lstrip("@").lower()
            ):
                return channel
        return None

    @extend_schema(
        operation_id="inbound_social",
        request=social.SocialPayloadSerializer,
        responses=INBOUND_RESPONSES,
    )
    def post(self, request):
        return super().post(request)
