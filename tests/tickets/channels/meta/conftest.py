"""Meta channels (WhatsApp, Messenger, Instagram), the Graph API as a local server, and a
helper that posts a webhook body signed as Meta signs it."""

from __future__ import annotations

import json

import pytest

from tickets.channels.meta.signature import sign
from tickets.channels.models import Channel

from ..conftest import make_channel
from . import payloads
from .graph_server import GraphServer

APP_SECRET = "meta-app-secret"
WA_TOKEN = "EAAwa-token"
PAGE_TOKEN = "EAApage-token"
IG_TOKEN = "EAAig-token"


@pytest.fixture(autouse=True)
def graph(settings):
    """Every test here talks to the local Graph API, never to Meta's."""
    server = GraphServer({WA_TOKEN, PAGE_TOKEN, IG_TOKEN})
    settings.META_GRAPH_API_BASE = server.base
    yield server
    server.close()


@pytest.fixture
def wa_channel(team):
    return make_channel(
        "whatsapp",
        "WhatsApp support",
        phone_number_id=payloads.PHONE_NUMBER_ID,
        access_token=WA_TOKEN,
        app_secret=APP_SECRET,
        verify_token="wa-verify",
        display_phone_number="+1 555 078 3881",
        templates=[
            {"name": "ticket_update", "language": "en_US", "text": "We have an update: {{1}}"},
            {"name": "reopen_chat", "language": "en_US", "text": "Reply here to continue."},
        ],
    )


@pytest.fixture
def messenger_channel(team):
    return make_channel(
        "messenger",
        "Acme on Messenger",
        page_id=payloads.PAGE_ID,
        page_access_token=PAGE_TOKEN,
        app_secret=APP_SECRET,
        verify_token="ms-verify",
    )


@pytest.fixture
def instagram_channel(team):
    return make_channel(
        "instagram",
        "Acme on Instagram",
        instagram_account_id=payloads.IG_ID,
        page_access_token=IG_TOKEN,
        app_secret=APP_SECRET,
        verify_token="ig-verify",
    )


def hook_url(channel: Channel) -> str:
    return f"/api/v1/hooks/{channel.kind}/{channel.pk}/"


def post_hook(
    client, channel: Channel, body: dict | bytes, capture, *, secret=APP_SECRET, **headers
):
    """POST `body` to the channel's webhook door as Meta does (signed over the exact bytes,
    unless `secret` is None), running what it queued after commit."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    if secret is not None:
        headers.setdefault("HTTP_X_HUB_SIGNATURE_256", sign(secret, raw))
    with capture(execute=True):
        return client.post(hook_url(channel), raw, content_type="application/json", **headers)
