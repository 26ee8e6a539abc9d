"""What automations hear: every event a trigger can name, plus the ticket events that start
and stop time-rule timers. All handlers are `subscribe_many` ones, so they run after every
plain subscriber of the event, webhooks included: the outside world hears "ticket.created"
before the "ticket.updated" a trigger makes of it, and SLA clocks are measured before a rule
reads them. Inside `events.batched()` (the SLA sweep) they run once at the end of the block,
still in its transaction."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from core import events
from tickets.models import Direction, Ticket, TicketKind
from tickets.status import UNRESOLVED

from . import services, timers
from .models import TeamRouting, Timer, TimeRule, Trigger
from .routing import ticket_route
from .selectors import rules_cache_clear, triggers_for

_rules = triggers_for


def on_ticket_created(batch: list[events.DomainEvent]) -> None:
    rules = _rules(events.TICKET_CREATED)
    for event in batch:
        ticket = event.ticket
        started = {Timer.CREATED, Timer.UPDATED}
        if ticket.kind == TicketKind.REACTIVE:
            started.add(Timer.CUSTOMER_MESSAGE)
        timers.timers_start(ticket=ticket, timers=started, at=event.occurred_at)
        services.triggers_run(
            ticket=ticket, event=events.TICKET_CREATED, message=event.message, rules=rules
        )
        ticket_route(ticket=ticket)


def on_ticket_updated(batch: list[events.DomainEvent]) -> None:
    """Timers first (set-based for a batch of tickets: a sweep's publish_many), then, ticket
    by ticket in order, the triggers and routing. A ticket met twice in one batch is done
    one event at a time from its second event on, so its events keep their order."""
    rules = _rules(events.TICKET_UPDATED)
    firsts, seen = [], set()
    for event in batch:
        if event.ticket.pk in seen:
            break
        seen.add(event.ticket.pk)
        firsts.append(event)
    timers.timers_on_status_many(
        [
            (event.ticket, *event.changes["status"], event.occurred_at)
            for event in firsts
            if "status" in event.changes
        ]
    )
    timers.timers_start_many(
        starts=[(e.ticket, e.occurred_at) for e in firsts if e.ticket.status in UNRESOLVED],
        timers={Timer.UPDATED},
    )
    for event in firsts:
        _after_timers(event, rules)
    for event in batch[len(firsts) :]:
        on_ticket_updated([event])


def _after_timers(event: events.DomainEvent, rules: list[Trigger]) -> None:
    services.triggers_run(ticket=event.ticket, event=events.TICKET_UPDATED, rules=rules)
    if "team" in event.changes:
        ticket_route(ticket=event.ticket)


def on_message_created(batch: list[events.DomainEvent]) -> None:
    rules = _rules(events.MESSAGE_CREATED)
    for event in batch:
        if event.message is not None and event.message.direction == Direction.INBOUND:
            timers.timers_start(
                ticket=event.ticket, timers={Timer.CUSTOMER_MESSAGE}, at=event.occurred_at
            )
        services.triggers_run(
            ticket=event.ticket, event=events.MESSAGE_CREATED, message=event.message, rules=rules
        )


def _on_ticket_event(event_type: str):
    def handler(batch: list[events.DomainEvent]) -> None:
        rules = _rules(event_type)
        if not rules:
            return
        for event in batch:
            if event.ticket is not None:
                services.triggers_run(ticket=event.ticket, event=event_type, rules=rules)

    return handler


on_sla_warning = _on_ticket_event(events.SLA_WARNING)
on_sla_warning.__name__ = "on_sla_warning"
on_sla_breached = _on_ticket_event(events.SLA_BREACHED)
on_sla_breached.__name__ = "on_sla_breached"
on_survey_answered = _on_ticket_event(events.SURVEY_ANSWERED)
on_survey_answered.__name__ = "on_survey_answered"


def on_customer_at_risk(batch: list[events.DomainEvent]) -> None:
    """A customer flagged at risk: the rules act on each of their unresolved tickets."""
    rules = _rules(events.CUSTOMER_AT_RISK)
    if not rules:
        return
    for event in batch:
        tickets = Ticket.objects.filter(requester=event.customer, status__in=UNRESOLVED)
        for ticket in tickets.order_by("id")[:50]:
            services.triggers_run(ticket=ticket, event=events.CUSTOMER_AT_RISK, rules=rules)


def connect() -> None:
    """Idempotent: subscribe_many and the dispatch_uids ignore a second call."""
    for model in (Trigger, TimeRule, TeamRouting):
        uid = f"automations.rules_cache_clear.{model.__name__}"
        post_save.connect(rules_cache_clear, sender=model, dispatch_uid=uid)
        post_delete.connect(rules_cache_clear, sender=model, dispatch_uid=uid)
    events.subscribe_many(events.TICKET_CREATED, on_ticket_created)
    events.subscribe_many(events.TICKET_UPDATED, on_ticket_updated)
    events.subscribe_many(events.MESSAGE_CREATED, on_message_created)
    events.subscribe_many(events.SLA_WARNING, on_sla_warning)
    events.subscribe_many(events.SLA_BREACHED, on_sla_breached)
    events.subscribe_many(events.SURVEY_ANSWERED, on_survey_answered)
    events.subscribe_many(events.CUSTOMER_AT_RISK, on_customer_at_risk)
