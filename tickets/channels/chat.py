"""Live chat: a provider or our widget posts each visitor message; messages of one
conversation thread into one ticket until the conversation has been idle for
CHAT_IDLE_MINUTES, after which it is ended and the next message opens a new ticket.

Replies leave on the "chat" outbox transport (registered by the widget app): to the
provider's webhook when the channel has one, else to the visitor's widget (README "Live chat
widget"). The widget's settings (colours, greeting, pre-chat fields, allowed sites, offline
message) are validated here, with the rest of the kind's settings.

A file a visitor sends is stored first (widget upload, within tickets' attachment limits) and
named in the payload by a signed reference (`attachment_ref`), so the payload stays JSON and
no caller can point a message at a file it did not upload."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from customers.services import IdentityInput, customer_resolve

from ..attachments import AttachmentInput
from ..models import ChannelKind
from .intake import Outcome, integration_of, resolve_channel
from .models import Channel, ChannelThread, InboundMessage
from .registry import Capabilities, ChannelAdapter
from .threads import MessageContent, NewTicket, continue_or_open


class ChatVisitorSerializer(serializers.Serializer):
    id = serializers.CharField(
        max_length=100, required=False, help_text="Anonymous visitor id of the widget."
    )
    email = serializers.EmailField(required=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("id") and not attrs.get("email"):
            raise serializers.ValidationError("A visitor needs an email or an anonymous id.")
        return attrs


class ChatPayloadSerializer(serializers.Serializer):
    channel = serializers.CharField(
        required=False, help_text="Channel id or name; optional when one chat channel exists."
    )
    conversation_id = serializers.CharField(max_length=200)
    message_id = serializers.CharField(
        max_length=200, required=False, help_text="The provider's message id (dedupe)."
    )
    visitor = ChatVisitorSerializer()
    text = serializers.CharField(max_length=20000)
    sent_at = serializers.DateTimeField(required=False)
    attachments = serializers.ListField(
        child=serializers.CharField(max_length=2000),
        required=False,
        max_length=10,
        help_text="Signed references of files the widget stored (attachment_ref).",
    )

    def validate_attachments(self, value: list[str]) -> list[dict]:
        try:
            return [attachment_unsign(ref) for ref in value]
        except signing.BadSignature as exc:
            raise serializers.ValidationError("Not a reference to a stored upload.") from exc


ATTACHMENT_SALT = "tickets.chat.attachment"


def attachment_ref(*, name: str, filename: str, content_type: str) -> str:
    """A signed reference to a file in default storage, for a chat payload's attachments."""
    return signing.dumps({"n": name, "f": filename, "t": content_type}, salt=ATTACHMENT_SALT)


def attachment_unsign(ref: str) -> dict:
    """The stored file a reference names; BadSignature when it was not made by us."""
    data = signing.loads(ref, salt=ATTACHMENT_SALT)
    return {"name": data["n"], "filename": data["f"], "content_type": data["t"]}


def _attachment_inputs(items: list[dict]) -> list[AttachmentInput]:
    return [
        AttachmentInput(item["filename"], default_storage.open(item["name"]), item["content_type"])
        for item in items
        if default_storage.exists(item["name"])
    ]


def dedupe_key(data: dict) -> str:
    if data.get("message_id"):
        return f"{data['conversation_id']}:{data['message_id']}"
    fingerprint = json.dumps(
        [data["conversation_id"], str(data.get("sent_at", "")), data["text"], data["visitor"]],
        sort_keys=True,
        default=str,
    )
    return f"{data['conversation_id']}:sha256:{hashlib.sha256(fingerprint.encode()).hexdigest()}"


def identities(visitor: dict, channel: Channel) -> list[IdentityInput]:
    if visitor.get("email"):
        return [IdentityInput("email", visitor["email"])]
    # An anonymous visitor is known by the widget's id for them, per chat channel.
    return [IdentityInput("social", visitor["id"], f"chat-{channel.pk}")]


def end_idle_conversations(now=None) -> int:
    """End chat conversations idle for longer than CHAT_IDLE_MINUTES (beat, every minute)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHAT_IDLE_MINUTES)
    return ChannelThread.objects.filter(
        channel__kind=ChannelKind.CHAT, ended_at__isnull=True, last_message_at__lt=cutoff
    ).update(ended_at=now)


def process(inbound: InboundMessage) -> Outcome:
    payload = ChatPayloadSerializer(data=inbound.raw_json)
    payload.is_valid(raise_exception=True)
    data, channel = payload.validated_data, inbound.channel
    visitor = data["visitor"]
    customer = customer_resolve(
        source_integration=integration_of(inbound),
        identities=identities(visitor, channel),
        name=visitor["name"],
    )
    first_line = data["text"].strip().splitlines()[0] if data["text"].strip() else ""
    files = _attachment_inputs(data.get("attachments", []))
    return continue_or_open(
        channel,
        customer=customer,
        content=MessageContent(body=data["text"], attachments=files),
        new_ticket=NewTicket(
            subject=f"Chat: {first_line}"[:120], external_ref=data["conversation_id"]
        ),
        thread_key=data["conversation_id"],
        at=data.get("sent_at"),
        idle_after=timedelta(minutes=settings.CHAT_IDLE_MINUTES),
        submitted_by=inbound.submitted_by,
    )


def channel_for(data: dict) -> Channel | None:
    return resolve_channel(ChannelKind.CHAT, data.get("channel"))


def attachments_for(channel: Channel | None) -> bool:
    """Our widget shows an agent's files as links (widget/files.py); a third-party chat
    provider's webhook carries text only."""
    return channel is not None and not channel.settings.get("webhook_url")


def public_contact(channel: Channel) -> tuple[str, str] | None:
    return (channel.name, "")  # the widget is on the site: its name says where


HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
PRECHAT_MODES = ("off", "optional", "required")
PRECHAT_FIELDS = ("name", "email")
TEXT_SETTINGS = {"greeting": 500, "offline_message": 500}


def _clean_colors(values: dict, clean: dict, errors: dict) -> None:
    for key in ("color", "text_color"):
        if key in values and not (isinstance(values[key], str) and HEX_COLOR.match(values[key])):
            errors[f"settings.{key}"] = ["A colour is #RRGGBB, e.g. #1f6feb."]


def _clean_texts(values: dict, clean: dict, errors: dict) -> None:
    for key, limit in TEXT_SETTINGS.items():
        if key in values and (not isinstance(values[key], str) or len(values[key]) > limit):
            errors[f"settings.{key}"] = [f"Text of at most {limit} characters."]


def _clean_prechat(values: dict, clean: dict, errors: dict) -> None:
    if "prechat" not in values:
        return
    prechat = values["prechat"]
    if not isinstance(prechat, dict) or set(prechat) - set(PRECHAT_FIELDS):
        errors["settings.prechat"] = [f"An object with the fields {', '.join(PRECHAT_FIELDS)}."]
        return
    if any(mode not in PRECHAT_MODES for mode in prechat.values()):
        errors["settings.prechat"] = [f"Each field is one of {', '.join(PRECHAT_MODES)}."]
        return
    clean["prechat"] = {name: prechat.get(name, "off") for name in PRECHAT_FIELDS}


def _origin(value: object) -> str | None:
    """ "https://shop.example[:port]" as a browser sends it in Origin; None if it is not one."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _clean_origins(values: dict, clean: dict, errors: dict) -> None:
    if "allowed_origins" not in values:
        return
    given = values["allowed_origins"]
    origins = [_origin(item) for item in given] if isinstance(given, list) else [None]
    if None in origins or len(origins) > 20:
        errors["settings.allowed_origins"] = [
            "A list of at most 20 site origins such as https://shop.example."
        ]
        return
    clean["allowed_origins"] = list(dict.fromkeys(origins))


WIDGET_SETTINGS = frozenset({"color", "text_color", "prechat", "allowed_origins", *TEXT_SETTINGS})

ADAPTER = ChannelAdapter(
    kind=ChannelKind.CHAT,
    label=pgettext_lazy("channel in a sentence", "Live chat"),
    icon="chat",
    capabilities=Capabilities(replies=True, conversation=True, live=True),
    payload_serializer=ChatPayloadSerializer,
    dedupe_key=dedupe_key,
    channel_for=channel_for,
    process=process,
    settings_allowed=frozenset({"widget_id", "webhook_url", "webhook_secret", *WIDGET_SETTINGS}),
    settings_required=frozenset({"widget_id"}),
    settings_clean=(_clean_colors, _clean_texts, _clean_prechat, _clean_origins),
    # The widget app registers "chat": the provider's webhook, or our widget's socket.
    reply_transport="chat",
    attachments_for=attachments_for,
    public_contact=public_contact,
)
