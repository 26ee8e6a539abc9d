"""What follow-ups and health hear from the rest of the system (domain events, in the
publisher's transaction: rows only, no I/O)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from core import events
from outbox import transports
from tickets.channels.email import ticket_match
from tickets.models import TicketKind
from tickets.status import Status

from . import health, services
from .models import ExperienceKind, FollowUpRule, Survey, Trigger

_DONE = {Status.SOLVED, Status.CLOSED}


def on_ticket_updated(event: events.DomainEvent) -> None:
    change = event.changes.get("status")
    if not change:
        return
    before, after = change
    ticket = event.ticket
    if after == Status.SOLVED and before not in _DONE and ticket.kind == TicketKind.REACTIVE:
        services.followups_schedule(
            trigger=Trigger.TICKET_SOLVED,
            customer=ticket.requester,
            subject_key=f"ticket:{ticket.pk}",
            ticket=ticket,
            channel=ticket.channel,
        )
    elif before in _DONE and after not in _DONE:
        health.experience_record(
            customer=ticket.requester,
            kind=ExperienceKind.REOPENED,
            source_key=f"reopened:{ticket.pk}:{event.occurred_at:%Y%m%d%H%M%S%f}",
            ticket=ticket,
        )


def on_tickets_updated(batch: list[events.DomainEvent]) -> None:
    """on_ticket_updated for a batch: the same per ticket, but a batch of solves asks once
    whether any follow-up rule waits for a solve (none: no statement per ticket)."""
    solves = [event for event in batch if _is_solve(event)]
    if solves and not services.rules_wait_for(Trigger.TICKET_SOLVED):
        batch = [event for event in batch if not _is_solve(event)]
    for event in batch:
        if "status" in event.changes:
            on_ticket_updated(event)


def _is_solve(event: events.DomainEvent) -> bool:
    before, after = event.changes.get("status", (None, None))
    return after == Status.SOLVED and before not in _DONE


def on_sla_breached(batch: list[events.DomainEvent]) -> None:
    """One INSERT for however many breaches a sweep batch published (events.batched)."""
    health.experiences_record(
        [
            health.Experience(
                customer_id=event.ticket.requester_id,  # the sweep need not load the customer
                kind=ExperienceKind.SLA_BREACHED,
                source_key=f"ticket:{event.ticket.pk}",
                ticket_id=event.ticket.pk,
            )
            for event in batch
        ]
    )


def on_survey_answered(event: events.DomainEvent) -> None:
    health.experiences_from_survey(Survey.objects.get(pk=event.data["survey"]))


def on_customer_created(event: events.DomainEvent) -> None:
    services.followups_schedule(
        trigger=Trigger.CUSTOMER_ONBOARDED,
        customer=event.customer,
        subject_key=f"customer:{event.customer.pk}",
    )


def connect() -> None:
    """Idempotent: events.subscribe ignores a handler already subscribed."""
    events.subscribe(events.TICKET_UPDATED, on_ticket_updated, many=on_tickets_updated)
    events.subscribe_many(events.SLA_BREACHED, on_sla_breached)
    events.subscribe(events.SURVEY_ANSWERED, on_survey_answered)
    events.subscribe(events.CUSTOMER_CREATED, on_customer_created)
    for signal, sender in (
        (post_save, FollowUpRule),
        (post_delete, FollowUpRule),
        (m2m_changed, FollowUpRule.tiers.through),
    ):
        signal.connect(
            services.ACTIVE_RULES.clear,
            sender=sender,
            weak=False,
            dispatch_uid="followups.rules_cache_clear",
        )
    transports.listen(services.on_delivery_outcome)
    if services.on_reply_opened_ticket not in ticket_match.NEW_TICKET_FROM_REPLY:
        ticket_match.NEW_TICKET_FROM_REPLY.append(services.on_reply_opened_ticket)
