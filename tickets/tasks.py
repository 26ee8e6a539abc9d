"""Celery tasks of the tickets app (channels): thin, they load rows and call services."""

from __future__ import annotations

from celery import shared_task

from core.retry import backoff

from .channels import chat, intake, processing
from .channels.email import imap
from .channels.models import Channel


def _backoff(retries: int) -> int:
    """core.retry.backoff from 10 s (10 s, 20 s, 40 s, ...), so a database blip costs seconds
    and an outage does not hammer it."""
    return int(backoff(retries + 1, base=10).total_seconds())


@shared_task(
    name="tickets.process_inbound",
    bind=True,
    max_retries=None,
    soft_time_limit=120,
    time_limit=180,
)
def process_inbound(self, inbound_id: int) -> None:
    """Process a stored payload. The row decides whether more attempts are due
    (INBOUND_MAX_RETRIES), so this is safe to run twice and a lost message costs only time."""
    try:
        processing.intake_process(inbound_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task(name="tickets.sweep_inbound", soft_time_limit=60, time_limit=90)
def sweep_inbound_messages() -> int:
    """Queue rows still waiting after a while (their message lost, or retries pending)."""
    ids = list(intake.inbound_stuck().values_list("pk", flat=True)[:500])
    for inbound_id in ids:
        process_inbound.delay(inbound_id)
    return len(ids)


# A mailbox with a backlog takes a while; messages are stored by Message-ID, so a poll cut
# short fetches the rest next time and stores nothing twice.
@shared_task(name="tickets.poll_imap_mailbox", soft_time_limit=300, time_limit=360)
def poll_imap_mailbox(channel_id: int) -> int:
    channel = Channel.objects.filter(pk=channel_id, is_active=True).first()
    return imap.poll_channel(channel) if channel else 0


@shared_task(name="tickets.poll_imap_mailboxes", soft_time_limit=30, time_limit=60)
def poll_imap_mailboxes() -> int:
    """Beat: one poll task per active email channel that has IMAP settings."""
    ids = imap.polled_channel_ids()
    for channel_id in ids:
        poll_imap_mailbox.delay(channel_id)
    return len(ids)


@shared_task(name="tickets.end_idle_chats", soft_time_limit=60, time_limit=90)
def end_idle_chats() -> int:
    return chat.end_idle_conversations()
