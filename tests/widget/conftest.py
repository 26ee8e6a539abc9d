"""Widget fixtures: a chat channel for our widget (no provider webhook), an agent who is
available on the desk, a mailbox, an SMTP server, and a visitor's API client."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from automations.models import AgentAvailability
from tests.outbox.conftest import ScriptedSmtpHandler, smtp_server  # noqa: F401 - aiosmtpd
from tests.tickets.channels.conftest import email_channel, make_channel  # noqa: F401


@pytest.fixture
def widget_channel(team):
    return make_channel(
        "chat",
        "Shop chat",
        widget_id="shop",
        color="#0b7a53",
        greeting="Hi! Ask us anything.",
    )


@pytest.fixture
def online(agent):
    """The channel's team has an agent marked available (the desk's toggle)."""
    AgentAvailability.objects.create(agent=agent, available=True)
    return agent


class Visitor:
    """A widget visitor talking to /chat/api/ as the frame does."""

    def __init__(self, channel):
        self.channel = channel
        self.client = APIClient()
        self.token = ""

    def _headers(self) -> dict:
        return {"HTTP_X_CHAT_TOKEN": self.token} if self.token else {}

    def start(self, **details):
        response = self.client.post(
            "/chat/api/session/",
            {"channel": self.channel.pk, "token": self.token, **details},
            format="json",
        )
        if response.status_code == 200:
            self.token = response.json()["token"]
        return response

    def post(self, path: str, data=None, **kwargs):
        response = self.client.post(
            f"/chat/api/{path}",
            data or {},
            format=kwargs.pop("format", "json"),
            **self._headers(),
            **kwargs,
        )
        if response.status_code in (200, 201, 202) and "token" in response.json():
            self.token = response.json()["token"]
        return response

    def get(self, path: str, **params):
        return self.client.get(f"/chat/api/{path}", params, **self._headers())

    def say(self, text: str, client_id: str = ""):
        return self.post("messages/", {"text": text, "client_id": client_id})


@pytest.fixture
def visitor(widget_channel):
    return Visitor(widget_channel)
