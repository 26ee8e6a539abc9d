"""Meta's webhook door for WhatsApp, Messenger and Instagram: the verify-token handshake and
X-Hub-Signature-256 over the exact raw body (missing 401, wrong 403, nothing stored)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_error
from tickets.channels.config import public_settings
from tickets.channels.models import InboundMessage
from tickets.models import Ticket

from . import payloads
from .conftest import APP_SECRET, hook_url, post_hook

pytestmark = pytest.mark.django_db

BODIES = {
    "whatsapp": payloads.wa_messages(payloads.wa_text("wamid.door1", "Hello")),
    "messenger": payloads.messenger([payloads.ms_message("m_door1", "Hello")]),
    "instagram": payloads.messenger(
        [
            payloads.ms_message(
                "aWdfZAG1faXRlbTox", "Hello", psid="1234567890123456", account=payloads.IG_ID
            )
        ],
        obj="instagram",
        account=payloads.IG_ID,
    ),
}


@pytest.fixture(params=["whatsapp", "messenger", "instagram"])
def meta_channel(request):
    return request.getfixturevalue(
        {
            "whatsapp": "wa_channel",
            "messenger": "messenger_channel",
            "instagram": "instagram_channel",
        }[request.param]
    )


def test_handshake_echoes_the_challenge_for_the_right_token(meta_channel, anon_client):
    token = meta_channel.settings["verify_token"]
    response = anon_client.get(
        hook_url(meta_channel),
        {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "{token}", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_handshake_with_a_wrong_token_or_mode_is_403(meta_channel, anon_client, query):
    query = {k: v.format(token=meta_channel.settings["verify_token"]) for k, v in query.items()}
    response = anon_client.get(hook_url(meta_channel), query)
    assert response.status_code == 403
    assert response.content != b"1"


def test_a_signed_body_is_stored_and_becomes_a_ticket(
    meta_channel, anon_client, django_capture_on_commit_callbacks
):
    response = post_hook(
        anon_client, meta_channel, BODIES[meta_channel.kind], django_capture_on_commit_callbacks
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "stored": 1, "duplicates": 0, "statuses": 0}
    row = InboundMessage.objects.get()
    assert (row.kind, row.door, row.state) == (meta_channel.kind, "provider", "processed")
    assert row.ticket.channel == meta_channel.kind
    assert row.message.body_text == "Hello"


def test_a_missing_signature_is_401_and_stores_nothing(
    meta_channel, anon_client, django_capture_on_commit_callbacks
):
    response = post_hook(
        anon_client,
        meta_channel,
        BODIES[meta_channel.kind],
        django_capture_on_commit_callbacks,
        secret=None,
    )
    assert_error(response, 401)
    assert not InboundMessage.objects.exists()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("how", ["other secret", "body changed after signing", "no sha256= prefix"])
def test_a_wrong_signature_is_403_and_stores_nothing(
    meta_channel, anon_client, django_capture_on_commit_callbacks, how
):
    from tickets.channels.meta.signature import sign

    raw = json.dumps(BODIES[meta_channel.kind]).encode()
    header = {
        "other secret": sign("not-the-app-secret", raw),
        "body changed after signing": sign(APP_SECRET, raw.replace(b"Hello", b"Hellp")),
        "no sha256= prefix": sign(APP_SECRET, raw).removeprefix("sha256="),
    }[how]
    response = post_hook(
        anon_client,
        meta_channel,
        raw,
        django_capture_on_commit_callbacks,
        HTTP_X_HUB_SIGNATURE_256=header,
    )
    assert_error(response, 403)
    assert not InboundMessage.objects.exists()
    assert not Ticket.objects.exists()


def test_a_signed_body_of_another_object_is_400_and_stores_nothing(
    wa_channel, anon_client, django_capture_on_commit_callbacks
):
    body = payloads.messenger([payloads.ms_message("m_x", "Hi")])
    response = post_hook(anon_client, wa_channel, body, django_capture_on_commit_callbacks)
    assert_error(response, 400)
    response = post_hook(anon_client, wa_channel, b"{not json", django_capture_on_commit_callbacks)
    assert_error(response, 400)
    assert not InboundMessage.objects.exists()


def test_the_channel_settings_hide_the_secrets(wa_channel, messenger_channel):
    shown = public_settings(wa_channel.settings)
    assert shown["app_secret"] == shown["access_token"] == shown["verify_token"] == "********"
    assert shown["phone_number_id"] == payloads.PHONE_NUMBER_ID
    assert public_settings(messenger_channel.settings)["page_access_token"] == "********"


def test_a_channel_needs_its_secrets(team):
    from django.core.exceptions import ValidationError

    from tickets.channels.config import clean_settings

    with pytest.raises(ValidationError) as caught:
        clean_settings("whatsapp", {"phone_number_id": "1"})
    assert {"settings.access_token", "settings.app_secret", "settings.verify_token"} <= set(
        caught.value.message_dict
    )
    with pytest.raises(ValidationError) as caught:
        clean_settings(
            "whatsapp",
            {
                "phone_number_id": "1",
                "access_token": "t",
                "app_secret": "s",
                "verify_token": "v",
                "templates": [{"name": "Bad Name", "language": "english", "text": "{{2}}"}],
            },
        )
    assert {
        "settings.templates.0.name",
        "settings.templates.0.language",
        "settings.templates.0.text",
    } <= set(caught.value.message_dict)
