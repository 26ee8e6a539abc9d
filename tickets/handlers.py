"""What the tickets app hears: an agent's public reply is handed to the ticket's channel
(an outbound email row, or a chat/social webhook, sent after commit), and django-anymail's
inbound signal is one more door into the email pipeline."""

from __future__ import annotations

from anymail.signals import inbound

from helpdesk import events

from .channels.anymail_inbound import on_anymail_inbound
from .channels.outbound import on_message_created


def connect() -> None:
    """Idempotent: events.subscribe and the dispatch_uid ignore a second call."""
    events.subscribe(events.MESSAGE_CREATED, on_message_created)
    inbound.connect(on_anymail_inbound, dispatch_uid="tickets.channels.anymail_inbound")
