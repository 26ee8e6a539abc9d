"""Attachment limits (size and type), checked in one place before anything is stored."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.utils.text import get_valid_filename

GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


@dataclass
class AttachmentInput:
    """A file on its way in, from an upload, an email part or a fetched recording."""

    filename: str
    content: File
    content_type: str = ""
    content_id: str = ""

    @property
    def size(self) -> int:
        return self.content.size


def resolve_content_type(filename: str, declared: str) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared in GENERIC_TYPES:
        guessed, _ = mimetypes.guess_type(filename)
        return (guessed or "application/octet-stream").lower()
    return declared


def clean_filename(filename: str) -> str:
    name = get_valid_filename((filename or "").replace("\\", "/").rsplit("/", 1)[-1]) or "file"
    return name[:200]


def attachment_problem(item: AttachmentInput) -> tuple[str, str] | None:
    """Why the file cannot be stored, as (code, message): too large or of a type we do not
    accept; None when it may be stored. The one place the limits are decided."""
    content_type = resolve_content_type(item.filename, item.content_type)
    if item.size > settings.ATTACHMENT_MAX_BYTES:
        return (
            "too_large",
            f"{item.filename} is {item.size} bytes; the limit is "
            f"{settings.ATTACHMENT_MAX_BYTES} bytes.",
        )
    if content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
        text = f"{item.filename}: files of type {content_type} are not accepted."
        return "unsupported_type", text
    return None


def validate_attachment(item: AttachmentInput, field: str = "attachments") -> AttachmentInput:
    """Raise ValidationError if the file is too large or of a type we do not accept."""
    problem = attachment_problem(item)
    if problem is not None:
        code, text = problem
        raise ValidationError({field: [text]}, code=code)
    content_type = resolve_content_type(item.filename, item.content_type)
    return AttachmentInput(
        clean_filename(item.filename), item.content, content_type, item.content_id
    )


def check_attachment_count(count: int, field: str = "attachments") -> None:
    """An agent's message carries at most ATTACHMENT_MAX_COUNT files (a customer's inbound
    message is never refused for its count)."""
    if count > settings.ATTACHMENT_MAX_COUNT:
        raise ValidationError(
            {field: [f"{count} files; at most {settings.ATTACHMENT_MAX_COUNT} per message."]},
            code="too_many",
        )
