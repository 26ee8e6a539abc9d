"""Channels of each kind, and a helper to run what a request queued after commit."""

from __future__ import annotations

import pytest

from tickets.channels.config import channel_save
from tickets.channels.models import Channel


def make_channel(kind: str, name: str, **settings) -> Channel:
    return channel_save(channel=Channel(), kind=kind, name=name, settings=settings)


@pytest.fixture
def email_channel(team):
    return make_channel("email", "Support mailbox", address="support@acme.test", from_name="Acme")


@pytest.fixture
def chat_channel(team, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    return make_channel(
        "chat",
        "Website chat",
        widget_id="w-1",
        webhook_url="http://127.0.0.1:9/chat",
        webhook_secret="chat-secret",
    )


@pytest.fixture
def phone_channel(team):
    return make_channel("phone", "Hotline", number="+44 20 7946 0000")


@pytest.fixture
def social_channel(team, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    return make_channel(
        "social",
        "X @acme",
        platform="x",
        account="acme",
        webhook_url="http://127.0.0.1:9/social",
        webhook_secret="social-secret",
    )
