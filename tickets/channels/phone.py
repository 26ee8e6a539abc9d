"""Phone: a telephony integration posts call records (or Twilio posts its voice status
callbacks to the provider door: twilio_voice.py turns them into the same records). The caller's
number (any spelling, normalized to E.164) finds the customer; a call joins the caller's open
phone ticket touched within CALL_THREAD_WINDOW_HOURS, else opens one; a missed call opens a
"call back" ticket."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from customers.identities import normalize_phone
from customers.services import IdentityInput, customer_resolve

from ..models import ChannelKind, Ticket
from ..status import Status
from .config import clean_phone_number
from .intake import Outcome, integration_of, resolve_channel
from .models import Channel, InboundMessage
from .registry import Capabilities, ChannelAdapter
from .threads import MessageContent, NewTicket, continue_or_open
from .twilio import TWILIO_SETTINGS, clean_public_url
from .twilio_voice import HOOKS as TWILIO_VOICE_HOOKS

OPEN_STATUSES = [s for s in Status.values if s not in (Status.SOLVED, Status.CLOSED)]


class PhoneNumberField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class CallPayloadSerializer(serializers.Serializer):
    channel = serializers.CharField(
        required=False, help_text="Channel id or name; optional when one phone channel exists."
    )
    call_id = serializers.CharField(max_length=200)
    from_number = PhoneNumberField(max_length=40, help_text="Caller, E.164 or any spelling.")
    to_number = PhoneNumberField(max_length=40, required=False)
    direction = serializers.ChoiceField(choices=["inbound", "outbound"], default="inbound")
    status = serializers.ChoiceField(
        choices=["completed", "missed", "voicemail"], default="completed"
    )
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False)
    duration_seconds = serializers.IntegerField(min_value=0, required=False, default=0)
    recording_url = serializers.URLField(max_length=1000, required=False, allow_null=True)
    transcript = serializers.CharField(max_length=100000, required=False, allow_blank=True)
    notes = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, help_text="The agent's notes."
    )
    caller_name = serializers.CharField(max_length=200, required=False, default="")

    def validate(self, attrs):
        if attrs.get("ended_at") and attrs["ended_at"] < attrs["started_at"]:
            raise serializers.ValidationError({"ended_at": ["A call cannot end before it began."]})
        return attrs


def channel_for(data: dict) -> Channel | None:
    """The phone channel of a call record: the one named, else the active one whose number
    was called, else resolve_channel's answer (the only active phone channel)."""
    if data.get("channel") or not data.get("to_number"):
        return resolve_channel(ChannelKind.PHONE, data.get("channel"))
    active = Channel.objects.filter(kind=ChannelKind.PHONE, is_active=True)
    by_number = [c for c in active if c.settings.get("number") == data["to_number"]]
    return by_number[0] if by_number else resolve_channel(ChannelKind.PHONE, data.get("channel"))


def dedupe_key(data: dict) -> str:
    return f"call:{data['call_id']}"


def _describe(data: dict) -> str:
    minutes, seconds = divmod(data["duration_seconds"], 60)
    missed = data["status"] == "missed"
    what = {
        "missed": "Missed call",
        "voicemail": "Voicemail",
        "completed": f"{data['direction'].title()} call",
    }[data["status"]]
    lines = [f"{what} from {data['from_number']} at {data['started_at']:%Y-%m-%d %H:%M} UTC"]
    if not missed:
        lines[0] += f" ({minutes} min {seconds} s)"
    if missed:
        lines.append("Please call the customer back.")
    if data.get("recording_url"):
        lines.append(f"Recording: {data['recording_url']}")
    if data.get("notes"):
        lines.append(f"Notes:\n{data['notes']}")
    if data.get("transcript"):
        lines.append(f"Transcript:\n{data['transcript']}")
    return "\n\n".join(lines)


def open_phone_ticket(customer, now=None) -> Ticket | None:
    """The caller's open phone ticket last touched within the window, if any."""
    now = now or timezone.now()
    return (
        Ticket.objects.filter(
            requester=customer,
            channel=ChannelKind.PHONE,
            status__in=OPEN_STATUSES,
            updated_at__gte=now - timedelta(hours=settings.CALL_THREAD_WINDOW_HOURS),
        )
        .order_by("-updated_at")
        .first()
    )


def process(inbound: InboundMessage) -> Outcome:
    payload = CallPayloadSerializer(data=inbound.raw_json)
    payload.is_valid(raise_exception=True)
    data, channel = payload.validated_data, inbound.channel
    customer = customer_resolve(
        source_integration=integration_of(inbound),
        identities=[IdentityInput("phone", data["from_number"])],
        name=data["caller_name"],
    )
    missed = data["status"] == "missed"
    subject = (
        f"Call back: missed call from {data['from_number']}"
        if missed
        else f"Call from {data['from_number']}"
    )
    return continue_or_open(
        channel,
        customer=customer,
        content=MessageContent(body=_describe(data), external_id=dedupe_key(data)),
        new_ticket=NewTicket(
            subject=subject, external_ref=data["call_id"], tags=("call-back",) if missed else ()
        ),
        ticket=open_phone_ticket(customer),  # a call has no thread: the caller's recent ticket
        submitted_by=inbound.submitted_by,
    )


def public_contact(channel: Channel) -> tuple[str, str] | None:
    number = channel.settings.get("number")
    return (number, f"tel:{number}") if number else None


ADAPTER = ChannelAdapter(
    kind=ChannelKind.PHONE,
    label=pgettext_lazy("channel in a sentence", "Phone"),
    icon="phone",
    capabilities=Capabilities(),  # a reply cannot go back on a call record
    payload_serializer=CallPayloadSerializer,
    dedupe_key=dedupe_key,
    channel_for=channel_for,
    process=process,
    # Twilio's account, to check its signature (and the URL it was given, behind a proxy).
    settings_allowed=frozenset({"number", *TWILIO_SETTINGS}),
    settings_required=frozenset({"number"}),
    settings_clean=(clean_phone_number, clean_public_url),
    reply_transport=None,
    provider=TWILIO_VOICE_HOOKS,
    public_contact=public_contact,
)
