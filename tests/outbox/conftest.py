"""Real counterparts of the outbox's transports: an SMTP server (aiosmtpd) and the loopback
HTTP receiver of the webhook tests."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from tests.faults.processes import free_port
from tests.tickets.channels.conftest import email_channel  # noqa: F401 - a mailbox
from tests.webhooks.conftest import receiver  # noqa: F401 - the loopback HTTP receiver


class ScriptedSmtpHandler:
    """A real SMTP server answering DATA with the queued replies ("451 ...", "550 ..."),
    then 250; it keeps what it accepted."""

    def __init__(self):
        self.replies: list[str] = []
        self.received: list[bytes] = []
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.replies:
            return self.replies.pop(0)
        self.received.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    handler = ScriptedSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    yield handler
    controller.stop()
