"""Celery tasks of the SLA engine: thin, they call services and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

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


@shared_task(name="slas.notify", ignore_result=True, soft_time_limit=60, time_limit=90)
def sla_notify(items: list[tuple[int, str]]) -> int:
    """Email the assignee (or, without one, the ticket's team) about warnings, breaches and
    escalations: `items` are (clock id, kind). Queued after the steps committed, so it never
    reports a step that rolled back. Returns how many emails were sent."""
    clocks = SlaClock.objects.select_related("ticket__assignee", "ticket__team").in_bulk(
        [clock_id for clock_id, _ in items]
    )
    messages = []
    for clock_id, kind in items:
        clock = clocks.get(clock_id)
        if clock is None:
            continue
        recipients = _recipients(clock.ticket)
        if recipients:
            messages.append(_message(clock, kind, recipients))
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


def _recipients(ticket) -> list[str]:
    if ticket.assignee is not None:
        found = [ticket.assignee.email]
    elif ticket.team is not None:
        found = list(ticket.team.members.values_list("email", flat=True))
    else:
        found = []
    return [r for r in found if r]


WHAT = {"warning": "is at risk", "breach": "is breached", "escalation": "was escalated"}


def _message(clock: SlaClock, kind: str, recipients: list[str]) -> EmailMessage:
    ticket = clock.ticket
    return EmailMessage(
        subject=f"SLA {kind}: #{ticket.pk} {ticket.subject}",
        body=(
            f"The {clock.get_metric_display().lower()} target of ticket #{ticket.pk} "
            f"{WHAT.get(kind, kind)} (due {clock.due_at:%Y-%m-%d %H:%M} UTC)."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
