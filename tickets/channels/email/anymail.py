"""django-anymail's inbound webhooks (Mailgun, Postmark, SendGrid, SES, ...) as a door into
the same pipeline: the normalized message goes back to raw MIME and is stored like any other
email, on the channel whose mailbox it was sent to."""

from __future__ import annotations

import logging

from ..intake import intake_store
from ..models import InboundDoor
from .parse import NotAnEmail, dedupe_key, parse_email
from .ticket_match import mailbox_for

logger = logging.getLogger(__name__)


def on_anymail_inbound(sender, event, esp_name: str, **kwargs) -> None:
    message = event.message
    raw = message.as_bytes()
    try:
        recipients = parse_email(raw).recipients
    except NotAnEmail:
        logger.warning("anymail %s: inbound event %s is not an email", esp_name, event.event_id)
        return
    channel = mailbox_for({"recipients": recipients})
    if channel is None:
        # Raising makes the provider retry; better than dropping mail for a mailbox that a
        # manager is about to configure.
        raise ValueError(f"No active email channel for {recipients}.")
    intake_store(
        channel=channel,
        dedupe_key=dedupe_key(raw),
        raw_bytes=raw,
        door=InboundDoor.ANYMAIL,
    )
