"""WhatsApp Business Cloud API: webhooks of object "whatsapp_business_account" (messages and
statuses), replies through POST /{phone_number_id}/messages, and the 24-hour customer-service
window (outside it only a template message may be sent: capabilities.reply_window, enforced
by routing and the reply service).

A customer is their wa_id as a phone identity in E.164, so a WhatsApp number joins the
customer who already has that phone; one conversation (thread) per wa_id per channel.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import pgettext_lazy

from customers.identities import normalize_phone
from customers.services import IdentityInput, customer_resolve
from outbox.transports import Sent

from ...models import ChannelKind
from ..intake import Ignored, Outcome
from ..providers import DeliveryStatus, InboundItem, PayloadRejected, ProviderHooks
from ..registry import Capabilities, ChannelAdapter
from ..threads import MessageContent, NewTicket, continue_or_open, open_thread
from . import signature
from .common import WEBHOOK_SETTINGS, from_unix, sending_channel
from .graph import GraphTransient, graph_post, graph_upload
from .media import message_files
from .whatsapp_content import message_text

if TYPE_CHECKING:
    from django.http import HttpRequest

    from outbox.models import OutboxMessage

    from ...models import Message
    from ..models import Channel, ChannelThread, InboundMessage

KIND = ChannelKind.WHATSAPP
WINDOW = timedelta(hours=24)
STATUSES = {"delivered": "delivered", "read": "read", "failed": "failed"}
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


# --- Inbound ---------------------------------------------------------------------------------


def _status_item(status: dict) -> DeliveryStatus | None:
    mapped = STATUSES.get(status.get("status", ""))
    if mapped is None or not status.get("id"):
        return None  # "sent" (accepted by WhatsApp) is what our own row already says
    errors = status.get("errors") or []
    error = "; ".join(
        f"{e.get('title') or e.get('message', '')} ({e.get('code')})".strip() for e in errors
    )
    return DeliveryStatus(
        provider_id=status["id"], status=mapped, error=error, at=from_unix(status.get("timestamp"))
    )


def _value_items(channel: Channel, value: dict) -> list[InboundItem | DeliveryStatus]:
    metadata = value.get("metadata") or {}
    ours = str(metadata.get("phone_number_id", "")) == str(channel.settings["phone_number_id"])
    contacts = {c.get("wa_id"): c for c in value.get("contacts") or [] if isinstance(c, dict)}
    items: list[InboundItem | DeliveryStatus] = []
    for message in (value.get("messages") or []) if ours else []:
        if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
            raise PayloadRejected("A WhatsApp message needs its id and from.")
        contact = contacts.get(message["from"]) or {}
        payload = {"message": message, "contact": contact, "metadata": metadata}
        items.append(InboundItem(dedupe_key=message["id"], payload=payload))
    for status in value.get("statuses") or []:
        item = _status_item(status) if isinstance(status, dict) else None
        if item is not None:
            items.append(item)
    return items


def parse(channel: Channel, request: HttpRequest) -> list[InboundItem | DeliveryStatus]:
    """One InboundItem per message (dedupe: the wamid) and a DeliveryStatus per status.
    Messages to another phone number of the same Meta app are not this channel's."""
    body = signature.json_body(request, "whatsapp_business_account")
    items: list[InboundItem | DeliveryStatus] = []
    for entry in body["entry"]:
        for change in (entry or {}).get("changes") or []:
            if isinstance(change, dict) and change.get("field") == "messages":
                items.extend(_value_items(channel, change.get("value") or {}))
    return items


def identity_for(wa_id: str) -> IdentityInput:
    """The wa_id as a phone identity in E.164 (joins the customer with that phone); a wa_id
    that is not a valid number stays a WhatsApp handle."""
    try:
        return IdentityInput("phone", normalize_phone(f"+{wa_id.lstrip('+')}"))
    except ValidationError:
        return IdentityInput("social", wa_id, "whatsapp")


def process(inbound: InboundMessage) -> Outcome:
    message = inbound.raw_json["message"]
    contact = inbound.raw_json.get("contact") or {}
    wa_id = contact.get("wa_id") or message["from"]
    name = (contact.get("profile") or {}).get("name", "")
    channel = inbound.channel
    if message.get("type") == "reaction" and (
        not (message.get("reaction") or {}).get("emoji") or open_thread(channel, wa_id) is None
    ):
        raise Ignored("A reaction outside a conversation (or removed).", classification="reaction")
    identity = identity_for(wa_id)
    customer = customer_resolve(identities=[identity], name=name)
    attachments, withheld = message_files(channel, message)
    who = name or (identity.value if identity.kind == "phone" else wa_id)
    return continue_or_open(
        channel,
        customer=customer,
        content=MessageContent(
            body=message_text(message),
            external_id=message["id"],
            attachments=attachments,
            withheld_parts=withheld,
        ),
        new_ticket=NewTicket(
            subject=f"WhatsApp message from {who}"[:120], external_ref=wa_id, tags=("whatsapp",)
        ),
        thread_key=wa_id,
        at=from_unix(message.get("timestamp")),
    )


# --- Outbound --------------------------------------------------------------------------------


def _template_request(template: dict) -> dict:
    body: dict = {"name": template["name"], "language": {"code": template["language"]}}
    params = template.get("params") or []
    if params:
        parameters = [{"type": "text", "text": p} for p in params]
        body["components"] = [{"type": "body", "parameters": parameters}]
    return body


def reply_envelope(message: Message, thread: ChannelThread, template: dict | None = None) -> dict:
    """The outbox payload: the channel to send from and the Cloud API request body."""
    request: dict = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    request["to"] = thread.key
    if template:
        request.update(type="template", template=_template_request(template))
    else:
        request.update(type="text", text={"preview_url": False, "body": message.body_text})
    return {"channel_id": thread.channel_id, "request": request}


def _post_message(channel: Channel, request: dict) -> str:
    answer = graph_post(
        f"{channel.settings['phone_number_id']}/messages",
        token=channel.settings["access_token"],
        body=request,
    )
    sent = answer.get("messages") or [{}]
    if not sent[0].get("id"):
        raise GraphTransient("The Cloud API answered without a message id.", 200)
    return sent[0]["id"]


def _document(channel: Channel, attachment, to: str) -> dict:
    """Upload one file (POST /{phone_number_id}/media) and the document message naming it."""
    with attachment.file.open("rb") as handle:
        uploaded = graph_upload(
            f"{channel.settings['phone_number_id']}/media",
            token=channel.settings["access_token"],
            data={"messaging_product": "whatsapp", "type": attachment.content_type},
            files={"file": (attachment.filename, handle.read(), attachment.content_type)},
        )
    if not uploaded.get("id"):
        raise GraphTransient("The media upload answered without an id.", 200)
    document = {"id": uploaded["id"], "filename": attachment.filename}
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "document",
        "document": document,
    }


def send(row: OutboxMessage) -> Sent:
    """POST {base}/{phone_number_id}/messages: the text (or template), then each file of
    the message as a document. The first wamid is the provider id the status webhooks name;
    a retry after a partial failure sends the parts again (delivery is at least once)."""
    channel = sending_channel(row.payload, KIND)
    request = row.payload["request"]
    attachments = list(row.message.attachments.all()) if row.message_id else []
    ids = []
    if request["type"] != "text" or request["text"]["body"].strip() or not attachments:
        ids.append(_post_message(channel, request))
    for attachment in attachments:
        ids.append(_post_message(channel, _document(channel, attachment, request["to"])))
    return Sent(provider_id=ids[0], status=200)


# --- Configuration ---------------------------------------------------------------------------


def _clean_template(index: int, item, errors: dict) -> dict | None:
    field = f"settings.templates.{index}"
    if not isinstance(item, dict):
        errors[field] = ["A template is an object with name, language and text."]
        return None
    name, language = str(item.get("name", "")), str(item.get("language", ""))
    if not TEMPLATE_NAME.match(name):
        errors[f"{field}.name"] = ["Lower-case letters, digits and underscores, as at Meta."]
    if not LANGUAGE.match(language):
        errors[f"{field}.language"] = ['A language code as at Meta, e.g. "en_US" or "lv".']
    text = str(item.get("text", "")).strip()
    if not text:
        errors[f"{field}.text"] = ["The template's text as approved (what the customer reads)."]
    if set(re.findall(r"\{\{(\d+)\}\}", text)) - {"1"}:
        errors[f"{field}.text"] = ["Only one parameter, {{1}}, is supported."]
    return {"name": name, "language": language, "text": text}


def clean_settings(values: dict, clean: dict, errors: dict) -> None:
    templates = values.get("templates", [])
    if not isinstance(templates, list):
        errors["settings.templates"] = ["A list of templates."]
        return
    cleaned = [_clean_template(i, t, errors) for i, t in enumerate(templates)]
    clean["templates"] = [t for t in cleaned if t is not None]


def reply_templates(channel: Channel) -> list[dict]:
    """The approved templates the desk offers (configured per channel), each with its key
    ("name:language") and whether it takes the agent's text as {{1}}."""
    return [
        {**t, "key": f"{t['name']}:{t['language']}", "takes_text": "{{1}}" in t["text"]}
        for t in channel.settings.get("templates", [])
    ]


def public_contact(channel: Channel) -> tuple[str, str] | None:
    number = channel.settings.get("display_phone_number", "")
    digits = re.sub(r"\D", "", number)
    return (f"WhatsApp {number}", f"https://wa.me/{digits}") if digits else None


ADAPTER = ChannelAdapter(
    kind=KIND,
    label=pgettext_lazy("channel in a sentence", "WhatsApp"),
    icon="social",
    capabilities=Capabilities(
        replies=True, attachments=True, conversation=True, reply_window=WINDOW
    ),
    process=process,
    settings_allowed=WEBHOOK_SETTINGS
    | {"phone_number_id", "access_token", "business_account_id", "display_phone_number"}
    | {"templates"},
    settings_required=WEBHOOK_SETTINGS | {"phone_number_id", "access_token"},
    settings_clean=(clean_settings,),
    reply_transport=KIND,
    reply_envelope=reply_envelope,
    reply_templates=reply_templates,
    provider=ProviderHooks(verify=signature.verify, parse=parse, handshake=signature.handshake),
    public_contact=public_contact,
)
