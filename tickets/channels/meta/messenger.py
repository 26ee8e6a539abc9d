"""Messenger and Instagram messaging (Meta's Messenger Platform): webhooks of object "page" /
"instagram" with entry[].messaging[] events, replies through POST /me/messages with the page
access token.

- A message event (message.mid, text, attachments) is one InboundItem (dedupe: the mid);
  echoes of what the page itself sent (message.is_echo) are ignored; a postback (a button
  the person tapped) is a message with the button's title.
- delivery (mids, watermark) and read (watermark; Instagram: mid) events update the outbox
  rows of what we sent; a watermark names every message to that person up to that time.
- The person is their page-scoped id (PSID, Messenger) or Instagram-scoped id (IGSID): a
  social identity with the platform ("messenger" / "instagram") as provider; one
  conversation per person per channel.
- The standard messaging window: a reply within 24 hours of the person's last message
  (capabilities.reply_window); later replies are refused (422 reply_window_closed). Message
  tags (HUMAN_AGENT) are not sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils.translation import pgettext_lazy

from customers.models import CustomerIdentity, IdentityKind
from customers.services import IdentityInput, customer_resolve
from outbox.models import OutboxMessage, State
from outbox.transports import Sent

from ...models import ChannelKind
from ..intake import Outcome
from ..providers import DeliveryStatus, InboundItem, PayloadRejected, ProviderHooks
from ..registry import Capabilities, ChannelAdapter
from ..threads import MessageContent, NewTicket, continue_or_open
from . import signature
from .common import WEBHOOK_SETTINGS, from_unix, sending_channel
from .graph import GraphPermanent, GraphTransient, graph_get, graph_post, graph_upload

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ...models import Message
    from ..models import Channel, ChannelThread, InboundMessage

WINDOW = timedelta(hours=24)
# The User Profile API fields that name a person (Messenger) / an Instagram user.
PROFILE_FIELDS = {
    ChannelKind.MESSENGER: "first_name,last_name",
    ChannelKind.INSTAGRAM: "name,username",
}
# kind -> (webhook object, the setting naming our account, platform label)
PLATFORMS = {
    ChannelKind.MESSENGER: ("page", "page_id", "Messenger"),
    ChannelKind.INSTAGRAM: ("instagram", "instagram_account_id", "Instagram"),
}


# --- Inbound ---------------------------------------------------------------------------------


def _watermark_statuses(kind: str, recipient: str, watermark, status: str) -> list:
    """Everything we sent to `recipient` up to `watermark` (ms) and not yet marked so."""
    at = from_unix(watermark, millis=True)
    if at is None or not recipient:
        return []
    rows = OutboxMessage.objects.filter(
        transport=kind, recipient=recipient, state=State.SENT, sent_at__lte=at
    ).exclude(provider_id="")
    rows = rows.filter(read_at__isnull=True) if status == "read" else rows
    rows = rows.filter(delivered_at__isnull=True) if status == "delivered" else rows
    ids = rows.values_list("provider_id", flat=True)[:500]
    return [DeliveryStatus(provider_id=i, status=status, at=at) for i in ids]


def _receipt_items(kind: str, event: dict) -> list:
    person = str((event.get("sender") or {}).get("id", ""))
    for status in ("delivery", "read"):
        receipt = event.get(status)
        if not isinstance(receipt, dict):
            continue
        name = "delivered" if status == "delivery" else "read"
        mids = receipt.get("mids") or ([receipt["mid"]] if receipt.get("mid") else [])
        at = from_unix(receipt.get("watermark") or event.get("timestamp"), millis=True)
        if mids:
            return [DeliveryStatus(provider_id=m, status=name, at=at) for m in mids]
        return _watermark_statuses(kind, person, receipt.get("watermark"), name)
    return []


def _message_item(event: dict) -> InboundItem | None:
    message = event.get("message") or {}
    if message.get("is_echo"):
        return None  # what the page sent (our replies included) comes back as an echo
    if event.get("postback"):
        message = {"mid": event["postback"].get("mid"), "text": event["postback"].get("title")}
    if not message.get("mid") or not (event.get("sender") or {}).get("id"):
        raise PayloadRejected("A message event needs sender.id and message.mid.")
    return InboundItem(dedupe_key=message["mid"], payload={**event, "message": message})


def _event_items(kind: str, event: dict) -> list:
    if "message" in event or "postback" in event:
        item = _message_item(event)
        return [item] if item else []
    return _receipt_items(kind, event)


def parse(channel: Channel, request: HttpRequest) -> list[InboundItem | DeliveryStatus]:
    webhook_object, account_setting, _ = PLATFORMS[channel.kind]
    body = signature.json_body(request, webhook_object)
    account = str(channel.settings.get(account_setting, ""))
    items: list[InboundItem | DeliveryStatus] = []
    for entry in body["entry"]:
        if not isinstance(entry, dict) or str(entry.get("id", "")) != account:
            continue  # another page / account of the same Meta app
        for event in entry.get("messaging") or []:
            if isinstance(event, dict):
                items.extend(_event_items(channel.kind, event))
    return items


def message_text(message: dict) -> str:
    lines = [message.get("text", "")]
    for attachment in message.get("attachments") or []:
        kind = attachment.get("type", "file")
        payload = attachment.get("payload") or {}
        lines.append(f"[{kind.title()}] {payload.get('url') or payload.get('title', '')}".strip())
    return "\n\n".join(line for line in lines if line).strip() or "[Empty message]"


def profile_name(channel: Channel, person: str) -> str:
    """The person's name from the platform's profile API (Messenger: first_name, last_name;
    Instagram: name, else username), asked once: not when their customer has a name. A
    profile Meta does not give (permissions, privacy, a network failure) is no name, never
    a reason to hold the message back."""
    named = CustomerIdentity.objects.filter(
        kind=IdentityKind.SOCIAL, platform=channel.kind, value=person.lower()
    ).exclude(customer__name="")
    if named.exists():
        return ""
    fields = PROFILE_FIELDS[channel.kind]
    try:
        profile = graph_get(
            f"{person}?fields={fields}", token=channel.settings["page_access_token"]
        )
    except (GraphPermanent, GraphTransient):
        return ""
    full = " ".join(p for p in (profile.get("first_name"), profile.get("last_name")) if p)
    return (full or profile.get("name") or profile.get("username") or "")[:200]


def process(inbound: InboundMessage) -> Outcome:
    event, channel = inbound.raw_json, inbound.channel
    _, _, label = PLATFORMS[channel.kind]
    person = str(event["sender"]["id"])
    name = profile_name(channel, person)
    customer = customer_resolve(
        identities=[IdentityInput("social", person, channel.kind)], name=name
    )
    message = event["message"]
    who = customer.name or person
    return continue_or_open(
        channel,
        customer=customer,
        content=MessageContent(body=message_text(message), external_id=message["mid"]),
        new_ticket=NewTicket(
            subject=f"{label} message from {who}"[:120], external_ref=person, tags=(channel.kind,)
        ),
        thread_key=person,
        at=from_unix(event.get("timestamp"), millis=True),
    )


# --- Outbound --------------------------------------------------------------------------------


def reply_envelope(message: Message, thread: ChannelThread) -> dict:
    request = {
        "recipient": {"id": thread.key},
        "messaging_type": "RESPONSE",
        "message": {"text": message.body_text},
    }
    return {"channel_id": thread.channel_id, "request": request}


# The Send API's attachment types; anything else goes as "file".
ATTACHMENT_TYPES = frozenset({"image", "video", "audio"})


def _attachment_type(content_type: str) -> str:
    major = (content_type or "").split("/", 1)[0]
    return major if major in ATTACHMENT_TYPES else "file"


def _post_file(channel: Channel, attachment, request: dict) -> str:
    """One file as its own message: the Send API's attachment upload (multipart
    `recipient`, `messaging_type`, `message` with the attachment's type, and `filedata`)."""
    kind = _attachment_type(attachment.content_type)
    message = {"attachment": {"type": kind, "payload": {"is_reusable": False}}}
    with attachment.file.open("rb") as handle:
        answer = graph_upload(
            "me/messages",
            token=channel.settings["page_access_token"],
            data={
                "recipient": json.dumps(request["recipient"]),
                "messaging_type": request["messaging_type"],
                "message": json.dumps(message),
            },
            files={"filedata": (attachment.filename, handle.read(), attachment.content_type)},
        )
    if not answer.get("message_id"):
        raise GraphTransient("The Send API answered without a message_id.", 200)
    return answer["message_id"]


def _sender(kind: str) -> Callable[[OutboxMessage], Sent]:
    def send(row: OutboxMessage) -> Sent:
        """POST {base}/me/messages with the page access token: the text, then each file of
        the message (Messenger only: Instagram's API takes files by public URL alone). The
        first message_id is the mid the delivery and read events name; a retry after a
        partial failure sends the parts again (delivery is at least once)."""
        channel = sending_channel(row.payload, kind)
        request = row.payload["request"]
        files = (
            list(row.message.attachments.all())
            if row.message_id and kind == ChannelKind.MESSENGER
            else []
        )
        ids = []
        if request["message"].get("text", "").strip() or not files:
            answer = graph_post(
                "me/messages", token=channel.settings["page_access_token"], body=request
            )
            if not answer.get("message_id"):
                raise GraphTransient("The Send API answered without a message_id.", 200)
            ids.append(answer["message_id"])
        ids.extend(_post_file(channel, attachment, request) for attachment in files)
        return Sent(provider_id=ids[0], status=200)

    return send


def _public_contact(channel: Channel) -> tuple[str, str] | None:
    username = channel.settings.get("username", "").lstrip("@")
    if not username:
        return None
    if channel.kind == ChannelKind.INSTAGRAM:
        return (f"Instagram @{username}", f"https://ig.me/m/{username}")
    return (f"Messenger {username}", f"https://m.me/{username}")


def _adapter(kind: str, label) -> ChannelAdapter:
    account_setting = PLATFORMS[kind][1]
    return ChannelAdapter(
        kind=kind,
        label=label,
        icon="social",
        capabilities=Capabilities(
            replies=True,
            conversation=True,
            reply_window=WINDOW,
            attachments=kind == ChannelKind.MESSENGER,  # Instagram: files by public URL only
        ),
        process=process,
        settings_allowed=WEBHOOK_SETTINGS | {account_setting, "page_access_token", "username"},
        settings_required=WEBHOOK_SETTINGS | {account_setting, "page_access_token"},
        reply_transport=kind,
        reply_envelope=reply_envelope,
        provider=ProviderHooks(verify=signature.verify, parse=parse, handshake=signature.handshake),
        public_contact=_public_contact,
    )


MESSENGER = _adapter(ChannelKind.MESSENGER, pgettext_lazy("channel in a sentence", "Messenger"))
INSTAGRAM = _adapter(ChannelKind.INSTAGRAM, pgettext_lazy("channel in a sentence", "Instagram"))
# The outbox transports (tickets/apps.py CHANNEL_TRANSPORTS registers them by kind).
send_messenger = _sender(ChannelKind.MESSENGER)
send_instagram = _sender(ChannelKind.INSTAGRAM)
