"""The Telegram Bot API as we use it: the "telegram" outbox transport (sendMessage, sendDocument,
sendMediaGroup) and fetching the files a customer sent (getFile, then the file's download URL).

Every method is POST {TELEGRAM_API_BASE}/bot<token>/<method>; the answer is
{"ok": true, "result": ...} or {"ok": false, "error_code": 403, "description": "Forbidden: bot
was blocked by the user", "parameters": {"retry_after": 5}} (core.retry rules through
provider_http: 400/403 permanent, 429 transient after `retry_after`). The bot token is read
from the channel when the row is sent (a rotated token takes effect at once) and never written
into the row or its error.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from outbox.models import OutboxMessage
from outbox.transports import Sent

from ..attachments import AttachmentInput, attachment_problem, resolve_content_type
from .models import Channel
from .provider_http import (
    ProviderPermanent,
    json_or_empty,
    provider_error,
    provider_request,
)

PROVIDER = "Telegram"
TEXT_LIMIT = 4096  # characters of one sendMessage
CAPTION_LIMIT = 1024  # characters of a document's caption
GROUP_LIMIT = 10  # documents in one sendMediaGroup


def bot_call(token: str, method: str, *, data: dict | None = None, files=None) -> Any:
    """The `result` of one Bot API method; raises the provider_http exception of a refusal."""
    url = f"{settings.TELEGRAM_API_BASE}/bot{token}/{method}"
    if files:
        response = provider_request(PROVIDER, "POST", url, data=data, files=files)
    else:
        response = provider_request(PROVIDER, "POST", url, json=data or {})
    body = json_or_empty(response)
    if response.status_code == 200 and body.get("ok"):
        return body.get("result")
    status = int(body.get("error_code") or response.status_code)
    if status == 200:  # a 200 that is not the API's answer: a proxy in the way
        status = 502
    parameters = body.get("parameters") or {}
    raise provider_error(
        f"{PROVIDER} {method}",
        status,
        str(body.get("description") or response.reason_phrase),
        retry_after=parameters.get("retry_after"),
    )


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _document(part: dict) -> tuple[str, bytes, str]:
    with default_storage.open(part["name"], "rb") as handle:
        return (
            part["filename"],
            handle.read(),
            part.get("content_type") or "application/octet-stream",
        )


def _send_documents(token: str, chat_id: str, parts: list[dict], caption: str) -> list[dict]:
    """One sendDocument for one file, sendMediaGroup for up to ten (one call: all or none)."""
    sent: list[dict] = []
    for start in range(0, len(parts), GROUP_LIMIT):
        group = parts[start : start + GROUP_LIMIT]
        text = caption if start == 0 else ""
        if len(group) == 1:
            data = {"chat_id": chat_id, **({"caption": text} if text else {})}
            files = {"document": _document(group[0])}
            sent.append(bot_call(token, "sendDocument", data=data, files=files))
            continue
        media = [
            {
                "type": "document",
                "media": f"attach://file{i}",
                **({"caption": text} if text and i == 0 else {}),
            }
            for i in range(len(group))
        ]
        files = {f"file{i}": _document(part) for i, part in enumerate(group)}
        data = {"chat_id": chat_id, "media": json.dumps(media)}
        sent.extend(bot_call(token, "sendMediaGroup", data=data, files=files))
    return sent


def channel_token(channel_id: int) -> str:
    channel = Channel.objects.filter(pk=channel_id, kind="telegram", is_active=True).first()
    token = channel.settings.get("bot_token", "") if channel is not None else ""
    if not token:
        raise ProviderPermanent(
            f"Telegram channel {channel_id} is gone, inactive or has no bot token."
        )
    return token


def send(row: OutboxMessage) -> Sent:
    """The "telegram" transport: the reply's text (sendMessage, in 4096-character parts) and its
    files (as documents; a short text rides as the first one's caption). The provider id is the
    first message's message_id. Delivery is at least once: a reply of several calls that fails
    half way is sent again from its start."""
    payload = row.payload
    token, chat_id = channel_token(payload["channel_id"]), str(payload["chat_id"])
    text, parts = payload.get("text", ""), payload.get("attachments", [])
    sent: list[dict] = []
    caption = ""
    if parts and len(text) <= CAPTION_LIMIT:
        caption = text
    elif text or not parts:
        for chunk in _chunks(text, TEXT_LIMIT):
            sent.append(bot_call(token, "sendMessage", data={"chat_id": chat_id, "text": chunk}))
    if parts:
        sent.extend(_send_documents(token, chat_id, parts, caption))
    return Sent(provider_id=str(sent[0]["message_id"]), status=200)


def _file_of(message: dict) -> dict | None:
    """The file a message carries: its largest photo, or its document (name, type, size)."""
    if message.get("document"):
        doc = message["document"]
        return {
            "file_id": doc["file_id"],
            "filename": doc.get("file_name") or "document",
            "content_type": doc.get("mime_type", ""),
            "size": doc.get("file_size", 0),
        }
    if message.get("photo"):
        photo = max(message["photo"], key=lambda size: size.get("width", 0) * size.get("height", 0))
        return {
            "file_id": photo["file_id"],
            "filename": f"photo-{photo.get('file_unique_id', 'telegram')}.jpg",
            "content_type": "image/jpeg",
            "size": photo.get("file_size", 0),
        }
    return None


def _withheld(found: dict, reason: str, detail: str) -> dict:
    return {
        "filename": found["filename"],
        "content_type": resolve_content_type(found["filename"], found["content_type"]),
        "size": found["size"],
        "reason": reason,
        "detail": detail,
        "access_type": "",
        "url": "",
    }


def message_files(channel: Channel, message: dict) -> tuple[list[AttachmentInput], list[dict]]:
    """The message's file fetched from Telegram (getFile, then its download URL), or recorded
    as withheld when it is over our limits or Telegram no longer has it. A network failure is
    transient: the stored update is processed again."""
    found = _file_of(message)
    if found is None:
        return [], []
    declared = AttachmentInput(
        found["filename"], ContentFile(b"", found["filename"]), found["content_type"]
    )
    declared.content.size = found["size"]
    problem = attachment_problem(declared)
    if problem is not None:
        return [], [_withheld(found, *problem)]
    token = channel.settings["bot_token"]
    try:
        info = bot_call(token, "getFile", data={"file_id": found["file_id"]})
    except ProviderPermanent as exc:
        return [], [_withheld(found, "unavailable", str(exc))]
    url = f"{settings.TELEGRAM_API_BASE}/file/bot{token}/{info['file_path']}"
    response = provider_request(PROVIDER, "GET", url)
    if response.status_code != 200:
        error = provider_error(f"{PROVIDER} file", response.status_code, response.reason_phrase)
        if isinstance(error, ProviderPermanent):
            return [], [_withheld(found, "unavailable", str(error))]
        raise error
    item = AttachmentInput(
        found["filename"], ContentFile(response.content, found["filename"]), found["content_type"]
    )
    problem = attachment_problem(item)
    if problem is not None:
        return [], [_withheld({**found, "size": item.size}, *problem)]
    return [item], []


def webhook_set(channel: Channel, url: str) -> bool:
    """Point the bot's webhook at `url` (our door for this channel) with the channel's
    secret_token, asking only for the updates we store (message, edited_message)."""
    data = {
        "url": url,
        "secret_token": channel.settings["secret_token"],
        "allowed_updates": ["message", "edited_message"],
    }
    return bool(bot_call(channel.settings["bot_token"], "setWebhook", data=data))
