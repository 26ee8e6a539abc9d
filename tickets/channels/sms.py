"""SMS through Twilio: the number's messaging webhook and the status callbacks of what we sent
post to /api/v1/hooks/sms/<channel id>/ (form-encoded, X-Twilio-Signature: twilio.py).

- An incoming message (MessageSid, From, To, Body, NumMedia/MediaUrl0...) is stored under
  its MessageSid (Twilio's retry is a duplicate) and processed: the customer is the phone
  identity of From (E.164: it joins a customer already known by that number, from a call or
  WhatsApp), one conversation per number until its ticket closes; media is fetched.
- A status callback (MessageStatus queued/sent/delivered/undelivered/failed/read, ErrorCode)
  updates the outbox row of the SM sid we got when sending: delivered, read, or failed with
  the error code; queued and sent say nothing new and change nothing.
- Every answer is empty TwiML (no automatic reply from Twilio).
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from customers.identities import normalize_phone
from customers.services import IdentityInput, customer_resolve

from ..models import ChannelKind, Message
from . import twilio
from .config import clean_phone_number
from .intake import Outcome
from .models import Channel, ChannelThread, InboundMessage
from .providers import DeliveryStatus, InboundItem, PayloadRejected, ProviderHooks
from .registry import Capabilities, ChannelAdapter
from .threads import MessageContent, NewTicket, continue_or_open

# Twilio's MessageStatus -> ours (providers.DeliveryStatus); the others change nothing.
STATUSES = {"delivered": "delivered", "read": "read", "undelivered": "failed", "failed": "failed"}


def _status(params: dict) -> list[DeliveryStatus]:
    ours = STATUSES.get(params["MessageStatus"])
    if ours is None or not params.get("MessageSid"):
        return []
    error = ""
    if ours == "failed":
        code = params.get("ErrorCode", "")
        error = f"{params['MessageStatus']}" + (f" (Twilio error {code})" if code else "")
    return [DeliveryStatus(provider_id=params["MessageSid"], status=ours, error=error)]


def parse(channel: Channel, request) -> list[InboundItem | DeliveryStatus]:
    params = twilio.form_dict(request)
    if params.get("MessageStatus") and params["MessageStatus"] != "received":
        return _status(params)
    if not params.get("MessageSid") or not params.get("From"):
        raise PayloadRejected("Not a Twilio message: MessageSid and From are required.")
    return [InboundItem(dedupe_key=f"sms:{params['MessageSid']}", payload=params)]


def process(inbound: InboundMessage) -> Outcome:
    params, channel = inbound.raw_json, inbound.channel
    number = normalize_phone(params["From"])
    customer = customer_resolve(identities=[IdentityInput("phone", number)])
    files, withheld = twilio.message_media(channel, params)
    body = (params.get("Body") or "").strip() or ("" if files or withheld else "[empty SMS]")
    return continue_or_open(
        channel,
        customer=customer,
        content=MessageContent(
            body=body,
            external_id=f"sms:{params['MessageSid']}",
            attachments=files,
            withheld_parts=withheld,
        ),
        new_ticket=NewTicket(
            subject=f"SMS from {number}", external_ref=f"sms:{number}", tags=("sms",)
        ),
        thread_key=number,
    )


def reply_envelope(message: Message, thread: ChannelThread) -> dict:
    """The "sms" transport's payload: the number the conversation is with, and the text."""
    return {"channel_id": thread.channel_id, "to": thread.key, "body": message.body_text}


def public_contact(channel: Channel) -> tuple[str, str] | None:
    number = channel.settings.get("number")
    return (f"SMS {number}", f"sms:{number}") if number else None


ADAPTER = ChannelAdapter(
    kind=ChannelKind.SMS,
    label=pgettext_lazy("channel in a sentence", "SMS"),
    icon="phone",
    capabilities=Capabilities(replies=True, conversation=True),
    process=process,
    settings_allowed=frozenset({"number", *twilio.TWILIO_SETTINGS}),
    settings_required=frozenset({"number", "account_sid", "auth_token"}),
    settings_clean=(clean_phone_number, twilio.clean_public_url),
    reply_transport="sms",
    reply_envelope=reply_envelope,
    provider=ProviderHooks(verify=twilio.verify, parse=parse, acknowledge=twilio.acknowledge),
    public_contact=public_contact,
)
