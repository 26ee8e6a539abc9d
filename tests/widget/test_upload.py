"""A visitor's file goes on the ticket within the tickets' attachment limits (size, types),
through the same intake as their messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import assert_error
from tickets.models import Attachment, Message

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(visitor, name: str, content: bytes, content_type: str):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return visitor.post("upload/", {"file": file, "client_id": name}, format="multipart")


def test_a_file_within_the_limits_goes_on_the_ticket(visitor, online):
    visitor.start()
    response = _upload(visitor, "receipt.png", PNG, "image/png")
    assert response.status_code == 201, response.content
    [shown] = response.json()["message"]["attachments"]
    assert (shown["filename"], shown["size"]) == ("receipt.png", len(PNG))
    assert b"".join(visitor.client.get(shown["url"]).streaming_content) == PNG  # their own link
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("receipt.png", "image/png")
    assert attachment.file.read() == PNG
    assert attachment.message.ticket.channel == "chat"
    # The staging copy is gone once the message holds its own.
    staged = [files for _, _, files in os.walk(Path(default_storage.location) / "chat-uploads")]
    assert not any(staged)


def test_a_file_over_the_size_limit_is_refused(visitor, online, settings):
    settings.ATTACHMENT_MAX_BYTES = 50
    visitor.start()
    error = assert_error(_upload(visitor, "big.png", PNG, "image/png"), 400, field="file")
    assert "limit is 50 bytes" in error["fields"][0]["message"]
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_a_file_type_we_do_not_accept_is_refused(visitor, online):
    visitor.start()
    response = _upload(visitor, "run.exe", b"MZ" + b"\x00" * 10, "application/x-msdownload")
    assert_error(response, 400, field="file")
    assert Message.objects.count() == 0


def test_a_chat_payload_cannot_point_at_a_file_it_did_not_upload(
    widget_channel, integration_client
):
    """The chat door's attachments are signed references: a storage path is refused."""
    payload = {
        "conversation_id": "c-1",
        "visitor": {"id": "v-1"},
        "text": "see file",
        "attachments": ["attachments/2026/12/someone-elses.pdf"],
    }
    response = integration_client.post("/api/v1/inbound/chat/", payload, format="json")
    assert_error(response, 400, field="attachments")
    assert Message.objects.count() == 0
