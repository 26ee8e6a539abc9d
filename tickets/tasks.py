"""Celery tasks of the tickets app (channels): thin, they load rows and call services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .channels import chat, intake, outbound, processing
from .channels.email import imap
from .channels.models import Channel, OutboundState


def _backoff(retries: int) -> int:
    """10 s, 20 s, 40 s, ... at most 30 min, so a database blip costs seconds and an outage
    does not hammer it."""
    return min(10 * 2**retries, 1800)


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


@shared_task(
    name="tickets.send_reply_email",
    bind=True,
    max_retries=None,
    soft_time_limit=60,
    time_limit=90,
)
def send_outbound_email(self, outbound_id: int) -> None:
    row = outbound.outbound_email_send_by_id(outbound_id)
    if row is None:
        return
    if row.state == OutboundState.PENDING:  # transient failure recorded on the row
        if self.request.retries + 1 >= settings.OUTBOUND_EMAIL_MAX_RETRIES:
            return  # the sweep takes over
        raise self.retry(countdown=_backoff(self.request.retries))


@shared_task(name="tickets.sweep_reply_emails", soft_time_limit=60, time_limit=90)
def sweep_outbound_emails() -> int:
    ids = list(outbound.outbound_emails_stuck().values_list("pk", flat=True)[:500])
    for outbound_id in ids:
        send_outbound_email.delay(outbound_id)
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
