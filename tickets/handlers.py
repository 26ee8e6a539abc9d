"""What the tickets app hears: an agent's public reply is handed to the ticket's channel
(an outbox row on the route tickets.channels.routing chooses; a final failure is
announced as message.delivery_failed), and django-anymail's
inbound signal is one more door into the email pipeline. A customer merged into another
leaves a `requester_merged` audit event on each of its tickets, which move into the
organization the merged customer keeps. A problem solved tells its
incidents' requesters (tickets.services.problems)."""

from __future__ import annotations

from anymail.signals import inbound

from core import events
from customers.services import merged_organization_id
from outbox import transports

from . import services
from .channels.email.anymail import on_anymail_inbound
from .channels.outbound import on_delivery_outcome, on_message_created, on_ticket_created
from .models import EventKind, ProblemLink, Ticket
from .status import Status


def on_customer_merging(event: events.DomainEvent) -> None:
    """Audit each ticket of the customer being merged (`data["source"]`) into `customer`, and
    put it in the organization the merged customer keeps (a ticket records its organization:
    left on the source's, often none, it would have no tier, no policy and no outside-plan
    check). Runs before the merge moves the tickets, in its transaction."""
    source, target = event.data["source"], event.customer
    organization_id = merged_organization_id(source, target)
    tickets = list(Ticket.objects.filter(requester=source).values_list("pk", "organization_id"))
    entries = []
    for ticket_id, was in tickets:
        before, after = {"requester": source.pk}, {"requester": target.pk}
        if was != organization_id:
            before["organization"], after["organization"] = was, organization_id
        entries.append(
            services.AuditEntry(
                ticket_id=ticket_id,
                kind=EventKind.REQUESTER_MERGED,
                actor_user=event.actor,
                before=before,
                after=after,
            )
        )
    services.audit_record_many(entries=entries)
    Ticket.objects.filter(requester=source).exclude(organization_id=organization_id).update(
        organization_id=organization_id
    )


def on_ticket_updated(event: events.DomainEvent) -> None:
    """A problem was solved: its incidents' requesters get their one update (in the same
    transaction, through the ticket services)."""
    status = event.changes.get("status") if event.changes else None
    if status is None or status[1] != Status.SOLVED:
        return
    if ProblemLink.objects.filter(problem_id=event.ticket.pk, notified_at__isnull=True).exists():
        services.problem_incidents_notify(problem=event.ticket, actor=event.actor)


def on_tickets_updated(batch: list[events.DomainEvent]) -> None:
    """The batch form (a sweep solving many tickets): one query finds the solved problems."""
    solved = {
        e.ticket.pk: e
        for e in batch
        if e.changes and e.changes.get("status") and e.changes["status"][1] == Status.SOLVED
    }
    if not solved:
        return
    waiting = set(
        ProblemLink.objects.filter(problem_id__in=solved, notified_at__isnull=True).values_list(
            "problem_id", flat=True
        )
    )
    for pk in sorted(waiting):
        services.problem_incidents_notify(problem=solved[pk].ticket, actor=solved[pk].actor)


def connect() -> None:
    """Idempotent: events.subscribe and the dispatch_uid ignore a second call."""
    events.subscribe(events.MESSAGE_CREATED, on_message_created)
    events.subscribe(events.TICKET_CREATED, on_ticket_created)  # a proactive first message
    events.subscribe(events.CUSTOMER_MERGING, on_customer_merging)
    events.subscribe(events.TICKET_UPDATED, on_ticket_updated, many=on_tickets_updated)
    transports.listen(on_delivery_outcome)
    inbound.connect(on_anymail_inbound, dispatch_uid="tickets.channels.email.anymail")
