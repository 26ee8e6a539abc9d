"""Channels of each kind, and a helper to run what a request queued after commit."""

from __future__ import annotations

import pytest

from tickets.channels.config import channel_save
from tickets.channels.email.parse import dedupe_key
from tickets.channels.intake import intake_store
from tickets.channels.models import Channel, InboundMessage, InboundState


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


def deliver(channel, raw: bytes, capture) -> InboundMessage:
    """What every email door does: store, then the queued task processes after commit."""
    with capture(execute=True):
        row, _ = intake_store(channel=channel, dedupe_key=dedupe_key(raw), raw_bytes=raw)
    row.refresh_from_db()
    return row


def failed_row(channel, raw: bytes) -> InboundMessage:
    """A row that failed under an earlier rule (stored, its processing recorded as failed)."""
    row, _ = intake_store(channel=channel, dedupe_key=dedupe_key(raw), raw_bytes=raw)
    InboundMessage.objects.filter(pk=row.pk).update(
        state=InboundState.FAILED, attempts=1, error="body: an earlier rule refused it"
    )
    return row


@pytest.fixture
def eager_retries():
    """Eager Celery re-runs a retried task inline only when errors do not propagate."""
    from config.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


# Twilio (SMS and voice): one account, a local server standing in for api.twilio.com.
SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-1"


@pytest.fixture
def twilio_api(settings):
    from .provider_fakes import FakeTwilio

    fake = FakeTwilio(SID, AUTH_TOKEN)
    settings.TWILIO_API_BASE = fake.base
    yield fake
    fake.close()


@pytest.fixture
def sms(team, twilio_api):
    return make_channel(
        "sms", "Acme SMS", number="+44 20 7946 0000", account_sid=SID, auth_token=AUTH_TOKEN
    )


@pytest.fixture
def hotline(team, twilio_api):
    return make_channel(
        "phone", "Hotline", number="+44 20 7946 0000", account_sid=SID, auth_token=AUTH_TOKEN
    )
