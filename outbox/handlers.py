"""The outbox hears no event: connect() registers its own transports (email, webhook)."""

from __future__ import annotations

from . import email, transports, webhook


def connect() -> None:
    transports.register("email", email.send)
    transports.register("webhook", webhook.send)
