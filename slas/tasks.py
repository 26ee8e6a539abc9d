"""Celery tasks of the SLA engine: thin, they call services and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from . import services, sweeps
from .models import SlaClock


# acks_late + reject_on_worker_lost (also global settings): a sweep whose worker dies is
# redelivered; that is harmless because the state lives on the clock rows.
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sla_sweep() -> dict[str, int]:
    return sweeps.sla_sweep()


@shared_task(acks_late=True, ignore_result=True)
def sla_reapply_organization(organization_id: int) -> int:
    """Safe to run twice: re-applying the same policy again changes nothing but the audit."""
    return services.organization_reapply(organization_id=organization_id)


@shared_task(ignore_result=True)
def sla_notify(clock_id: int, kind: str) -> int:
    """Email the assignee (or, without one, the ticket's team) about a warning, breach or
    escalation. Queued on commit of the step, so it never reports a step that rolled back."""
    clock = (
        SlaClock.objects.select_related("ticket__assignee", "ticket__team")
        .filter(pk=clock_id)
        .first()
    )
    if clock is None:
        return 0
    ticket = clock.ticket
    if ticket.assignee is not None:
        recipients = [ticket.assignee.email]
    elif ticket.team is not None:
        recipients = list(ticket.team.members.values_list("email", flat=True))
    else:
        recipients = []
    recipients = [r for r in recipients if r]
    if not recipients:
        return 0
    what = {"warning": "is at risk", "breach": "is breached", "escalation": "was escalated"}
    return send_mail(
        subject=f"SLA {kind}: #{ticket.pk} {ticket.subject}",
        message=(
            f"The {clock.get_metric_display().lower()} target of ticket #{ticket.pk} "
            f"{what.get(kind, kind)} (due {clock.due_at:%Y-%m-%d %H:%M} UTC)."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
