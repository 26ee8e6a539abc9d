"""Social media (X/Twitter, Facebook, Instagram, WhatsApp, Telegram) through a normalized
payload: one conversation (thread) is one ticket; platform + message id dedupes."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from customers.services import IdentityInput, customer_resolve

from ..models import ChannelKind
from .intake import Outcome, integration_of, resolve_channel
from .models import Channel, InboundMessage
from .registry import Capabilities, ChannelAdapter
from .threads import MessageContent, NewTicket, continue_or_open

SOCIAL_PLATFORMS = ("twitter", "facebook", "instagram", "whatsapp", "telegram")


def normalize_platform(value: str) -> str:
    platform = (value or "").strip().lower()
    return "twitter" if platform in ("x", "twitter/x") else platform


class SocialAuthorSerializer(serializers.Serializer):
    handle = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PlatformField(serializers.ChoiceField):
    def to_internal_value(self, data):
        return super().to_internal_value(normalize_platform(str(data)))


class SocialPayloadSerializer(serializers.Serializer):
    channel = serializers.CharField(
        required=False, help_text="Channel id or name; else found by platform and account."
    )
    platform = PlatformField(choices=SOCIAL_PLATFORMS, help_text='"x" is accepted for twitter.')
    account = serializers.CharField(max_length=100, help_text="Our account on the platform.")
    author = SocialAuthorSerializer()
    message_id = serializers.CharField(max_length=200)
    conversation_id = serializers.CharField(max_length=200)
    is_public = serializers.BooleanField(default=False, help_text="A public post or a DM.")
    text = serializers.CharField(max_length=20000, allow_blank=True, default="")
    media_urls = serializers.ListField(
        child=serializers.URLField(max_length=1000), required=False, default=list, max_length=20
    )
    sent_at = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if not attrs["text"].strip() and not attrs["media_urls"]:
            raise serializers.ValidationError({"text": ["A message needs text or media."]})
        return attrs


def channel_for(data: dict) -> Channel | None:
    """The social channel of a post: the one named, else the active one for the post's
    platform and account (handles compared without "@" and case). None if none is."""
    if data.get("channel"):
        return resolve_channel(ChannelKind.SOCIAL, data.get("channel"))
    account = data["account"].lstrip("@").lower()
    for channel in Channel.objects.filter(kind=ChannelKind.SOCIAL, is_active=True):
        if (
            channel.settings.get("platform") == data["platform"]
            and channel.settings.get("account", "").lstrip("@").lower() == account
        ):
            return channel
    return None


def dedupe_key(data: dict) -> str:
    return f"{data['platform']}:{data['message_id']}"


def _body(data: dict) -> str:
    media = "\n".join(f"Media: {url}" for url in data["media_urls"])
    return "\n\n".join(part for part in (data["text"].strip(), media) if part)


def process(inbound: InboundMessage) -> Outcome:
    payload = SocialPayloadSerializer(data=inbound.raw_json)
    payload.is_valid(raise_exception=True)
    data, channel = payload.validated_data, inbound.channel
    customer = customer_resolve(
        source_integration=integration_of(inbound),
        identities=[IdentityInput("social", data["author"]["handle"], data["platform"])],
        name=data["author"]["name"],
    )
    key = f"{data['platform']}:{data['conversation_id']}"
    kind = "post" if data["is_public"] else "message"
    handle = data["author"]["handle"].lstrip("@")
    return continue_or_open(
        channel,
        customer=customer,
        content=MessageContent(body=_body(data), external_id=dedupe_key(data)),
        new_ticket=NewTicket(
            subject=f"{data['platform'].title()} {kind} from @{handle}",
            external_ref=key,
            tags=(data["platform"], "public-post" if data["is_public"] else "private-message"),
        ),
        thread_key=key,
        submitted_by=inbound.submitted_by,
    )


def clean_settings(values: dict, clean: dict, errors: dict) -> None:
    if values.get("platform"):
        clean["platform"] = normalize_platform(values["platform"])
        if clean["platform"] not in SOCIAL_PLATFORMS:
            errors["settings.platform"] = [f"One of {', '.join(SOCIAL_PLATFORMS)}."]


def public_contact(channel: Channel) -> tuple[str, str] | None:
    account = channel.settings.get("account")
    platform = channel.settings.get("platform", "")
    return (f"{platform} @{account}".strip(), "") if account else None


ADAPTER = ChannelAdapter(
    kind=ChannelKind.SOCIAL,
    label=pgettext_lazy("channel in a sentence", "Social media"),
    icon="social",
    capabilities=Capabilities(replies=True, conversation=True),
    payload_serializer=SocialPayloadSerializer,
    dedupe_key=dedupe_key,
    channel_for=channel_for,
    process=process,
    settings_allowed=frozenset({"platform", "account", "webhook_url", "webhook_secret"}),
    settings_required=frozenset({"platform", "account"}),
    settings_clean=(clean_settings,),
    reply_transport="webhook",
    public_contact=public_contact,
)
