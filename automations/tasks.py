"""Celery tasks of automations: thin, named, queued, time-limited, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from accounts.models import User
from outbox import email as email_transport
from outbox.models import Purpose
from outbox.services import outbox_enqueue
from tickets.models import Team, Ticket

from . import sweeps


# DB only, bounded (SKIP LOCKED batches): the sweeps queue. A redelivered run is harmless:
# each due row is claimed by a conditional UPDATE in the batch that applies it.
@shared_task(
    name="automations.sweep_time_rules",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
)
def sweep_time_rules() -> int:
    return sweeps.time_rules_sweep(batch_size=settings.AUTOMATION_SWEEP_BATCH_SIZE)


@shared_task(name="automations.notify", ignore_result=True, soft_time_limit=30, time_limit=60)
def notify(ticket_id: int, agent_id: int | None, team_id: int | None) -> int:
    """Email an agent, or each member of a team, about a ticket a rule pointed at (best
    effort, queued after the firing committed): one outbox row. Returns how many people it
    addresses."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    if agent_id is not None:
        people = list(User.objects.filter(pk=agent_id, is_active=True))
    else:
        team = Team.objects.filter(pk=team_id).first()
        people = list(team.members.filter(is_active=True)) if team else []
    addresses = [p.email for p in people if p.email]
    if not addresses:
        return 0
    with transaction.atomic():
        outbox_enqueue(
            transport="email",
            purpose=Purpose.NOTIFICATION,
            recipient=",".join(addresses),
            payload=email_transport.envelope(
                sender=settings.DEFAULT_FROM_EMAIL,
                subject=f"[#{ticket.pk}] {ticket.subject}",
                body=(
                    f"An automation rule asks you to look at ticket #{ticket.pk}: {ticket.subject}"
                ),
                message_id=email_transport.message_id(domain=None, idstring=f"notify.{ticket.pk}"),
            ),
            source=f"automation:ticket:{ticket.pk}",
        )
    return len(addresses)
