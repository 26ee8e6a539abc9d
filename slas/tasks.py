"""Celery tasks of the SLA engine: thin, they call services and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from outbox import email as email_transport
from outbox.models import Purpose
from outbox.services import outbox_enqueue

from . import services, sweeps
from .models import SlaClock


# acks_late + reject_on_worker_lost (also global settings): a sweep whose worker dies is
# redelivered; that is harmless because the state lives on the clock rows.
@shared_task(
    name="slas.sweep",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
)
def sla_sweep() -> dict[str, int]:
    return sweeps.sla_sweep()


# An organization may have many open tickets (one transaction each, so a limit loses none).
@shared_task(
    name="slas.reapply_organization",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=900,
    time_limit=960,
)
def sla_reapply_organization(organization_id: int) -> int:
    """Safe to run twice: re-applying the same policy again changes nothing but the audit."""
    return services.organization_reapply(organization_id=organization_id)


@shared_task(
    name="slas.reapply_customer",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=900,
    time_limit=960,
)
def sla_reapply_customer(customer_id: int) -> int:
    """Safe to run twice, like sla_reapply_organization."""
    return services.customer_reapply(customer_id=customer_id)


@shared_task(
    name="slas.reapply_merged_tickets",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=900,
    time_limit=960,
)
def sla_reapply_merged_tickets(ticket_ids: list[int]) -> int:
    """Safe to run twice: the outside-plan answer is sent once per ticket."""
    return services.merged_tickets_reapply(ticket_ids=ticket_ids)


@shared_task(name="slas.notify", ignore_result=True, soft_time_limit=60, time_limit=90)
def sla_notify(items: list[tuple[int, str]]) -> int:
    """Email the assignee (or, without one, the ticket's team) about warnings, breaches and
    escalations: `items` are (clock id, kind). Queued after the steps committed, so it never
    reports a step that rolled back. Each email is an outbox row (sent and retried there);
    returns how many were queued."""
    clocks = SlaClock.objects.select_related("ticket__assignee", "ticket__team").in_bulk(
        [clock_id for clock_id, _ in items]
    )
    queued = 0
    with transaction.atomic():
        for clock_id, kind in items:
            clock = clocks.get(clock_id)
            recipients = _recipients(clock.ticket) if clock is not None else []
            if recipients:
                _queue(clock, kind, recipients)
                queued += 1
    return queued


def _recipients(ticket) -> list[str]:
    if ticket.assignee is not None:
        found = [ticket.assignee.email]
    elif ticket.team is not None:
        found = list(ticket.team.members.values_list("email", flat=True))
    else:
        found = []
    return [r for r in found if r]


WHAT = {"warning": "is at risk", "breach": "is breached", "escalation": "was escalated"}


def _queue(clock: SlaClock, kind: str, recipients: list[str]) -> None:
    ticket = clock.ticket
    outbox_enqueue(
        transport="email",
        purpose=Purpose.NOTIFICATION,
        recipient=",".join(recipients),
        payload=email_transport.envelope(
            sender=settings.DEFAULT_FROM_EMAIL,
            subject=f"SLA {kind}: #{ticket.pk} {ticket.subject}",
            body=(
                f"The {clock.get_metric_display().lower()} target of ticket #{ticket.pk} "
                f"{WHAT.get(kind, kind)} (due {clock.due_at:%Y-%m-%d %H:%M} UTC)."
            ),
            message_id=email_transport.message_id(domain=None, idstring=f"sla.{clock.pk}.{kind}"),
        ),
        source=f"sla:{clock.pk}:{kind}",
    )
