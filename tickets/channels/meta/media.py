"""WhatsApp media (image, document, audio, video, sticker): a message names a media id; the
file is fetched when the message is processed (GET /{media-id} gives a short-lived URL,
downloaded with the same token) and stored as an attachment within the limits. A file over
the limits, of a type we do not accept, or no longer at Meta is recorded as withheld on the
message (its name and why), never dropped silently; a network failure is transient (the
inbound row is retried)."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile

from ...attachments import AttachmentInput, attachment_problem, resolve_content_type
from .graph import GraphPermanent, GraphTransient, graph_download, graph_get
from .whatsapp_content import MEDIA_TYPES

if TYPE_CHECKING:
    from ..models import Channel

HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _filename(kind: str, media: dict, content_type: str) -> str:
    if media.get("filename"):
        return media["filename"]
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    return f"whatsapp-{kind}-{media.get('id', 'file')}{extension}"


def _withheld(filename: str, content_type: str, size: int, reason: str, detail: str) -> dict:
    return {
        "filename": filename,
        "content_type": content_type,
        "size": size,
        "reason": reason,
        "detail": detail,
        "access_type": "",
        "url": "",
    }


def _download(info: dict, token: str) -> bytes:
    data = graph_download(info["url"], token=token, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    expected = str(info.get("sha256", "")).lower()
    if HEX_SHA256.match(expected) and hashlib.sha256(data).hexdigest() != expected:
        raise GraphTransient("The downloaded media does not match its sha256.")
    return data


def message_files(channel: Channel, message: dict) -> tuple[list[AttachmentInput], list[dict]]:
    """(attachments, withheld parts) of one WhatsApp message; ([], []) for a text."""
    kind = message.get("type", "")
    media = message.get(kind) if kind in MEDIA_TYPES else None
    if not isinstance(media, dict) or not media.get("id"):
        return [], []
    declared = media.get("mime_type", "")
    try:
        info = graph_get(str(media["id"]), token=channel.settings["access_token"])
        content_type = resolve_content_type("", info.get("mime_type") or declared)
        filename = _filename(kind, media, content_type)
        data = _download(info, channel.settings["access_token"])
    except GraphPermanent as exc:
        name = _filename(kind, media, declared)
        return [], [_withheld(name, declared, 0, "unavailable", str(exc))]
    item = AttachmentInput(filename, ContentFile(data, name=filename), content_type)
    problem = attachment_problem(item)
    if problem is not None:
        return [], [_withheld(filename, content_type, len(data), *problem)]
    return [item], []
