"""Live chat: a provider or our widget posts each visitor message; messages of one
conversation thread into one ticket until the conversation has been idle for
CHAT_IDLE_MINUTES, after which it is ended and the next message opens a new ticket."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from customers.services import IdentityInput, customer_resolve

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
    return continue_or_open(
        channel,
        customer=customer,
        content=MessageContent(body=data["text"]),
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


def public_contact(channel: Channel) -> tuple[str, str] | None:
    return (channel.name, "")  # the widget is on the site: its name says where


ADAPTER = ChannelAdapter(
    kind=ChannelKind.CHAT,
    label=pgettext_lazy("channel in a sentence", "Live chat"),
    icon="chat",
    capabilities=Capabilities(replies=True, conversation=True, live=True),
    payload_serializer=ChatPayloadSerializer,
    dedupe_key=dedupe_key,
    channel_for=channel_for,
    process=process,
    settings_allowed=frozenset({"widget_id", "webhook_url", "webhook_secret"}),
    settings_required=frozenset({"widget_id"}),
    reply_transport="webhook",
    public_contact=public_contact,
)
