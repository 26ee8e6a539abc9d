"""Telegram: a bot's webhook posts Update objects to /api/v1/hooks/telegram/<channel id>/, and
replies go back through the Bot API (telegram_api.py).

- Verified: Telegram sends the `secret_token` given to setWebhook in the
  X-Telegram-Bot-Api-Secret-Token header; missing is 401, different 403, and nothing is stored.
- Stored: each update carrying a `message` or `edited_message`, deduped by update_id (Telegram
  retries an update until it gets a 200). Other updates (callback queries, member changes...)
  are acknowledged and not stored.
- Processed: a private chat with a person is one conversation (thread key: the chat id); the
  customer is the social identity (telegram, user id) with the user's name; text or caption,
  the photo (largest size) or document fetched into an attachment. A group, supergroup or
  channel, and a bot sender, are recorded and ignored (state `ignored`): support is a private
  conversation with the bot.
"""

from __future__ import annotations

import hmac
import json
import re
from datetime import UTC, datetime

from django.utils.translation import pgettext_lazy

from customers.services import IdentityInput, customer_resolve

from ..models import ChannelKind, Message
from .intake import Ignored, Outcome
from .models import Channel, ChannelThread, InboundMessage
from .providers import InboundItem, PayloadRejected, ProviderHooks, SignatureRejected
from .registry import Capabilities, ChannelAdapter
from .telegram_api import message_files
from .threads import MessageContent, NewTicket, continue_or_open

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header's name
# Telegram's rule for setWebhook's secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MESSAGE_KINDS = ("message", "edited_message")


def verify(channel: Channel, request) -> None:
    given = request.headers.get(SECRET_HEADER, "")
    if not given:
        raise SignatureRejected(f"No {SECRET_HEADER} header.", status=401)
    expected = channel.settings.get("secret_token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignatureRejected(f"The {SECRET_HEADER} header does not match the channel's.")


def parse(channel: Channel, request) -> list[InboundItem]:
    try:
        update = json.loads(request.body)
    except ValueError as exc:
        raise PayloadRejected("Not a Telegram Update: the body is not JSON.") from exc
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise PayloadRejected("Not a Telegram Update: no update_id.")
    if not any(isinstance(update.get(kind), dict) for kind in MESSAGE_KINDS):
        return []  # an update that is not a message: acknowledged, nothing to store
    return [InboundItem(dedupe_key=f"update:{update['update_id']}", payload=update)]


def _name(user: dict) -> str:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or (f"@{user['username']}" if user.get("username") else "")


def _what(message: dict) -> str:
    """What a message without text or a file is, said in its body ("[sticker]")."""
    for kind in ("sticker", "voice", "video", "audio", "location", "contact", "poll"):
        if message.get(kind):
            return f"[{kind}]"
    return "[message]"


def _body(message: dict, edited: bool, files: list, withheld: list[dict]) -> str:
    text = (message.get("text") or message.get("caption") or "").strip()
    if not text and not files:
        names = ", ".join(part["filename"] for part in withheld)
        text = f"[file not stored: {names}]" if names else _what(message)
    return f"(edited) {text}" if edited else text


def process(inbound: InboundMessage) -> Outcome:
    update = inbound.raw_json
    kind = next(k for k in MESSAGE_KINDS if isinstance(update.get(k), dict))
    message = update[kind]
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    if chat.get("type") != "private":
        raise Ignored(
            f"A Telegram {chat.get('type') or 'unknown'} chat: only private chats are served.",
            classification="telegram:not_private",
        )
    if sender.get("is_bot") or "id" not in sender:
        raise Ignored("A message from a bot.", classification="telegram:bot")
    customer = customer_resolve(
        identities=[IdentityInput("social", str(sender["id"]), "telegram")], name=_name(sender)
    )
    files, withheld = message_files(inbound.channel, message)
    who = f"@{sender['username']}" if sender.get("username") else _name(sender) or sender["id"]
    return continue_or_open(
        inbound.channel,
        customer=customer,
        content=MessageContent(
            body=_body(message, kind == "edited_message", files, withheld),
            external_id=f"telegram:{chat['id']}:{message.get('message_id', '')}",
            attachments=files,
            withheld_parts=withheld,
        ),
        new_ticket=NewTicket(
            subject=f"Telegram message from {who}",
            external_ref=f"telegram:{chat['id']}",
            tags=("telegram",),
        ),
        thread_key=str(chat["id"]),
        at=datetime.fromtimestamp(message["date"], UTC) if message.get("date") else None,
    )


def reply_envelope(message: Message, thread: ChannelThread) -> dict:
    """The "telegram" transport's payload: the chat, the text, the files (storage names)."""
    return {
        "channel_id": thread.channel_id,
        "chat_id": thread.key,
        "text": message.body_text,
        "attachments": [
            {"name": a.file.name, "filename": a.filename, "content_type": a.content_type}
            for a in message.attachments.all()
        ],
    }


def clean_settings(values: dict, clean: dict, errors: dict) -> None:
    token = values.get("secret_token")
    if token and not SECRET_TOKEN_RE.match(str(token)):
        errors["settings.secret_token"] = ["1-256 characters: letters, digits, _ and -."]
    if values.get("bot_username"):
        clean["bot_username"] = str(values["bot_username"]).lstrip("@")


def public_contact(channel: Channel) -> tuple[str, str] | None:
    username = channel.settings.get("bot_username")
    return (f"Telegram @{username}", f"https://t.me/{username}") if username else None


ADAPTER = ChannelAdapter(
    kind=ChannelKind.TELEGRAM,
    label=pgettext_lazy("channel in a sentence", "Telegram"),
    icon="social",
    capabilities=Capabilities(replies=True, attachments=True, conversation=True),
    process=process,
    settings_allowed=frozenset({"bot_token", "secret_token", "bot_username"}),
    settings_required=frozenset({"bot_token", "secret_token"}),
    settings_clean=(clean_settings,),
    reply_transport="telegram",
    reply_envelope=reply_envelope,
    provider=ProviderHooks(verify=verify, parse=parse),
    public_contact=public_contact,
)
