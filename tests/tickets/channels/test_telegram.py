"""Telegram: a bot's webhook Updates in, Bot API replies out (a local server stands in for
api.telegram.org, following its documented contract). Updates are shaped as the Bot API
documents them (Update, Message, User, Chat, PhotoSize, Document)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from outbox.models import OutboxMessage, State
from tests.conftest import assert_error
from tickets.attachments import AttachmentInput
from tickets.channels.models import InboundMessage, InboundState
from tickets.models import Ticket
from tickets.services import ticket_reply

from .conftest import make_channel
from .provider_fakes import FakeTelegram

pytestmark = pytest.mark.django_db

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
SECRET = "hook-secret_1"
KIM = {
    "id": 111111111,
    "is_bot": False,
    "first_name": "Kim",
    "last_name": "Lee",
    "username": "kimlee",
    "language_code": "en",
}


@pytest.fixture
def bot_api(settings):
    fake = FakeTelegram(TOKEN)
    settings.TELEGRAM_API_BASE = fake.base
    yield fake
    fake.close()


@pytest.fixture
def telegram(team, bot_api):
    return make_channel(
        "telegram", "Acme bot", bot_token=TOKEN, secret_token=SECRET, bot_username="@acme_bot"
    )


def update(
    update_id: int, text: str | None = "Hello", *, kind="message", sender=KIM, chat=None, **extra
):
    chat = chat or {k: sender[k] for k in ("id", "first_name", "last_name", "username")} | {
        "type": "private"
    }
    message = {"message_id": 1000 + update_id, "from": sender, "chat": chat, "date": 1764590000}
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, kind: {**message, **extra}}


def post(client, channel, body: dict, capture, *, secret: str | None = SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    with capture(execute=True):
        return client.post(
            f"/api/v1/hooks/telegram/{channel.pk}/",
            json.dumps(body),
            content_type="application/json",
            headers=headers,
        )


def test_a_private_chat_is_one_ticket_for_the_telegram_user(
    anon_client, telegram, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = post(anon_client, telegram, update(10, "My order #881 never came"), capture)
    post(anon_client, telegram, update(11, "It was due Monday"), capture)
    assert first.status_code == 200, first.content
    assert first.json() == {"ok": True, "stored": 1, "duplicates": 0, "statuses": 0}
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject) == ("telegram", "Telegram message from @kimlee")
    assert list(ticket.messages.values_list("body_text", "external_id")) == [
        ("My order #881 never came", "telegram:111111111:1010"),
        ("It was due Monday", "telegram:111111111:1011"),
    ]
    customer = ticket.requester
    assert customer.name == "Kim Lee"
    identity = customer.identities.get()
    assert (identity.kind, identity.platform, identity.value) == ("social", "telegram", "111111111")
    assert ticket.tags.filter(name="telegram").exists()


def test_the_secret_token_header_is_required_and_must_match(
    anon_client, telegram, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    missing = post(anon_client, telegram, update(10), capture, secret=None)
    wrong = post(anon_client, telegram, update(10), capture, secret="guessed")
    assert_error(missing, 401)
    assert_error(wrong, 403)
    assert not InboundMessage.objects.exists()
    assert not Ticket.objects.exists()


def test_telegram_s_retry_of_an_update_is_a_duplicate(
    anon_client, telegram, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    post(anon_client, telegram, update(10), capture)
    again = post(anon_client, telegram, update(10), capture)
    assert again.json() == {"ok": True, "stored": 0, "duplicates": 1, "statuses": 0}
    assert InboundMessage.objects.get().dedupe_key == "update:10"
    assert Ticket.objects.get().messages.count() == 1


def test_an_edit_is_appended_as_an_edit(anon_client, telegram, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    post(anon_client, telegram, update(10, "Order 88"), capture)
    post(anon_client, telegram, update(11, "Order 881", kind="edited_message"), capture)
    bodies = list(Ticket.objects.get().messages.values_list("body_text", flat=True))
    assert bodies == ["Order 88", "(edited) Order 881"]


def test_a_photo_is_fetched_with_its_caption(
    anon_client, telegram, bot_api, django_capture_on_commit_callbacks
):
    bot_api.files["AgADphoto-big"] = b"\xff\xd8\xff\xe0 a jpeg"
    photo = [
        {
            "file_id": "AgADphoto-small",
            "file_unique_id": "s1",
            "width": 90,
            "height": 67,
            "file_size": 1200,
        },
        {
            "file_id": "AgADphoto-big",
            "file_unique_id": "b1",
            "width": 1280,
            "height": 960,
            "file_size": 12,
        },
    ]
    body = update(12, None, photo=photo, caption="The box was crushed")
    post(anon_client, telegram, body, django_capture_on_commit_callbacks)
    message = Ticket.objects.get().messages.get()
    assert message.body_text == "The box was crushed"
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("photo-b1.jpg", "image/jpeg")
    assert attachment.file.read() == b"\xff\xd8\xff\xe0 a jpeg"
    # The largest size only, through getFile with the bot's token.
    calls = [(r.method, r.path, (r.json or {}).get("file_id")) for r in bot_api.requests]
    assert calls == [
        ("POST", f"/bot{TOKEN}/getFile", "AgADphoto-big"),
        ("GET", f"/file/bot{TOKEN}/documents/AgADphoto-big", None),
    ]


def test_a_document_over_the_limit_is_recorded_not_fetched(
    anon_client, telegram, bot_api, settings, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_MAX_BYTES = 1000
    document = {
        "file_id": "BQAD-doc",
        "file_unique_id": "d1",
        "file_name": "invoice.pdf",
        "mime_type": "application/pdf",
        "file_size": 5000,
    }
    post(
        anon_client,
        telegram,
        update(13, None, document=document),
        django_capture_on_commit_callbacks,
    )
    message = Ticket.objects.get().messages.get()
    assert message.attachments.count() == 0
    assert [(p["filename"], p["reason"], p["size"]) for p in message.withheld_parts] == [
        ("invoice.pdf", "too_large", 5000)
    ]
    assert bot_api.requests == []


def test_groups_and_bots_are_recorded_and_ignored(
    anon_client, telegram, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    group = {"id": -1001234567890, "title": "Acme users", "type": "supergroup"}
    post(anon_client, telegram, update(20, "anyone?", chat=group), capture)
    robot = {
        "id": 222,
        "is_bot": True,
        "first_name": "Spam",
        "last_name": "",
        "username": "spam_bot",
    }
    post(anon_client, telegram, update(21, "buy now", sender=robot), capture)
    rows = InboundMessage.objects.order_by("id")
    assert [(r.state, r.classification) for r in rows] == [
        (InboundState.IGNORED, "telegram:not_private"),
        (InboundState.IGNORED, "telegram:bot"),
    ]
    assert not Ticket.objects.exists()


def test_an_update_that_is_not_a_message_is_acknowledged_and_not_stored(
    anon_client, telegram, django_capture_on_commit_callbacks
):
    body = {"update_id": 30, "callback_query": {"id": "4382", "from": KIM, "data": "yes"}}
    response = post(anon_client, telegram, body, django_capture_on_commit_callbacks)
    assert response.json() == {"ok": True, "stored": 0, "duplicates": 0, "statuses": 0}
    assert not InboundMessage.objects.exists()
    broken = post(anon_client, telegram, {"message": {}}, django_capture_on_commit_callbacks)
    assert_error(broken, 400)


@pytest.fixture
def chat_ticket(anon_client, telegram, django_capture_on_commit_callbacks):
    post(
        anon_client, telegram, update(10, "Where is my parcel?"), django_capture_on_commit_callbacks
    )
    return Ticket.objects.get()


def test_an_agent_s_reply_goes_out_through_send_message(
    chat_ticket, agent, bot_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=chat_ticket, author=agent, body="It ships today.")
    row = OutboxMessage.objects.get(message=message)
    assert (row.transport, row.state, row.provider_id, row.channel) == (
        "telegram",
        State.SENT,
        "500",
        "telegram",
    )
    [sent] = bot_api.requests
    assert (sent.method, sent.path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert sent.json == {"chat_id": "111111111", "text": "It ships today."}
    assert TOKEN not in json.dumps(row.payload)


def test_a_reply_with_a_file_goes_as_a_document_with_its_caption(
    chat_ticket, agent, bot_api, django_capture_on_commit_callbacks
):
    label = AttachmentInput(
        "label.pdf", ContentFile(b"%PDF-1.4 label", name="label.pdf"), "application/pdf"
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(
            ticket=chat_ticket, author=agent, body="Your return label.", attachments=[label]
        )
    [sent] = bot_api.requests
    assert sent.path == f"/bot{TOKEN}/sendDocument"
    assert sent.form == {"chat_id": "111111111", "caption": "Your return label."}
    assert sent.files["document"] == ("label.pdf", "application/pdf", b"%PDF-1.4 label")
    assert OutboxMessage.objects.get(message=message).state == State.SENT


def test_a_bot_blocked_by_the_user_fails_the_reply_at_once(
    chat_ticket, agent, bot_api, django_capture_on_commit_callbacks
):
    bot_api.fail_next(
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=chat_ticket, author=agent, body="Hello?")
    row = OutboxMessage.objects.get(message=message)
    assert (row.state, row.attempts, row.last_status) == (State.FAILED, 1, 403)
    assert row.error == "Telegram sendMessage: HTTP 403: Forbidden: bot was blocked by the user"


def test_too_many_requests_waits_as_long_as_telegram_says(
    chat_ticket, agent, bot_api, django_capture_on_commit_callbacks
):
    bot_api.fail_next(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 600",
            "parameters": {"retry_after": 600},
        },
    )
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=chat_ticket, author=agent, body="Hello?")
    row = OutboxMessage.objects.get(message=message)
    assert (row.state, row.last_status) == (State.QUEUED, 429)
    assert row.next_attempt_at >= before + timedelta(seconds=600)


def test_the_bot_token_and_secret_are_masked(manager_client, telegram):
    shown = manager_client.get(f"/api/v1/channels/{telegram.pk}/").json()["settings"]
    assert shown == {
        "bot_token": "********",
        "secret_token": "********",
        "bot_username": "acme_bot",
    }
    bad = manager_client.post(
        "/api/v1/channels/",
        {
            "kind": "telegram",
            "name": "Bot 2",
            "settings": {"bot_token": "1:x", "secret_token": "no spaces!"},
        },
        format="json",
    )
    assert_error(bad, 400, field="settings.secret_token")


def test_the_webhook_is_set_with_the_channel_s_secret_token(telegram, bot_api, settings):
    settings.PUBLIC_BASE_URL = "https://help.acme.test"
    call_command("telegram_set_webhook", str(telegram.pk))
    [sent] = bot_api.requests
    assert sent.path == f"/bot{TOKEN}/setWebhook"
    assert sent.json == {
        "url": f"https://help.acme.test/api/v1/hooks/telegram/{telegram.pk}/",
        "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message"],
    }


def test_a_long_reply_with_several_files_goes_as_text_then_one_media_group(
    chat_ticket, agent, bot_api, django_capture_on_commit_callbacks
):
    files = [
        AttachmentInput(name, ContentFile(data, name=name), "application/pdf")
        for name, data in (("a.pdf", b"%PDF a"), ("b.pdf", b"%PDF b"))
    ]
    text = "x" * 5000  # over a caption's 1024 and a message's 4096 characters
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=chat_ticket, author=agent, body=text, attachments=files)
    calls = [r.path.rsplit("/", 1)[-1] for r in bot_api.requests]
    assert calls == ["sendMessage", "sendMessage", "sendMediaGroup"]
    assert [len(r.json["text"]) for r in bot_api.requests[:2]] == [4096, 904]
    group = bot_api.requests[2]
    assert json.loads(group.form["media"]) == [
        {"type": "document", "media": "attach://file0"},
        {"type": "document", "media": "attach://file1"},
    ]
    assert [group.files[f"file{i}"][2] for i in range(2)] == [b"%PDF a", b"%PDF b"]
    row = OutboxMessage.objects.get(message=message)
    assert (row.state, row.provider_id) == (State.SENT, "500")
