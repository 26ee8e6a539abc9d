"""What the SLA engine does when something happens elsewhere (core.events subscribers).

The ticket handlers run in the ticket service's transaction, so clocks, `Ticket.next_due_at`
and the ticket change commit (or roll back) together; the clock rules are slas.clocks'.
An organization's or a customer's new tier or override policy re-measures their unresolved
tickets after commit, in a Celery task (there may be many).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from core import events
from core.queueing import enqueue_on_commit
from tickets.models import Direction, Ticket

from . import clocks, hybrid, models, selectors
from .selectors import policy_cache_clear


def _is_auto_reply(event: events.DomainEvent) -> bool:
    """Inbound auto-replies (out-of-office, bounces) are marked by the channel adapters."""
    return bool(event.data.get("auto_reply")) or bool(
        getattr(event.message, "is_auto_reply", False)
    )


def on_ticket_opening(event: events.DomainEvent) -> None:
    """Before the ticket's INSERT: its outside-plan flag and its clocks' earliest due time,
    set on it (one INSERT, no UPDATE after); the clocks go into that INSERT's statement
    (ticket_create's `written_with`), or wait for ticket.created where there is none."""
    ticket: Ticket = event.ticket
    ticket.outside_plan = hybrid.is_outside_plan(ticket, selectors.tier_for(ticket))
    policy = selectors.policy_for(ticket)
    planned = [] if policy is None else clocks.clocks_plan_new(ticket, policy)
    written_with = getattr(ticket, "written_with", None)  # ticket_create's: its INSERT's rows
    if written_with is not None:
        written_with.extend(planned)
        planned = []
    ticket.sla_planned_clocks = planned  # what ticket.created still has to write


def on_ticket_created(event: events.DomainEvent) -> None:
    ticket: Ticket = event.ticket
    if ticket.outside_plan:
        tier = selectors.tier_for(ticket)
        hybrid.outside_plan_apply(ticket, tier, auto_reply=_is_auto_reply(event))
    clocks.clocks_insert_planned(ticket, ticket.sla_planned_clocks)


def on_message_created(event: events.DomainEvent) -> None:
    if event.data.get("system"):
        return  # automatic messages are nobody's reply
    ticket: Ticket = event.ticket
    message = event.message
    if message.direction == Direction.OUTBOUND:
        if not message.is_public or message.author_user_id is None:
            return
        clocks.clocks_after_agent_reply(ticket, message.created_at)
    else:
        if _is_auto_reply(event) or ticket.first_replied_at is None:
            return  # before an agent replied, the first response clock is still running
        clocks.clocks_after_customer_message(ticket, message.created_at)
    clocks.refresh_next_due(ticket)


def on_ticket_updated(event: events.DomainEvent) -> None:
    ticket: Ticket = event.ticket
    now = event.occurred_at
    if "status" in event.changes:
        before, after = event.changes["status"]
        clocks.clocks_after_status_change(ticket, before, after, now)
    if "priority" in event.changes:
        clocks.retarget(ticket, at=now)
    clocks.refresh_next_due(ticket)


def on_tickets_updated(batch: list[events.DomainEvent]) -> None:
    """on_ticket_updated for a batch (tickets.services.tickets_status_set): the status steps
    of every ticket's clocks in one read and one UPDATE, then next_due_at in one read and one
    UPDATE. An event that also changed the priority (or a ticket met twice) goes one by one."""
    seen: set[int] = set()
    stepped, one_by_one = [], []
    for event in batch:
        later = event.ticket.pk in seen  # after that ticket's first event, in order
        seen.add(event.ticket.pk)
        (one_by_one if later or "priority" in event.changes else stepped).append(event)
    changes = [
        clocks.StatusChange(event.ticket, *event.changes["status"], event.occurred_at)
        for event in stepped
        if "status" in event.changes
    ]
    clocks.clocks_after_status_changes(changes)
    clocks.refresh_next_due_many([event.ticket for event in stepped])
    for event in one_by_one:
        on_ticket_updated(event)


def on_organization_updated(event: events.DomainEvent) -> None:
    """A new tier or override policy: re-measure the organization's unresolved tickets, after
    commit and outside the request (an organization may have many open tickets)."""
    if not {"tier", "sla_policy"} & set(event.changes):
        return
    enqueue_on_commit("slas.reapply_organization", event.data["organization"])


def on_customer_updated(event: events.DomainEvent) -> None:
    """A customer's own tier or override policy changed: re-measure their unresolved
    tickets after commit, like an organization's (see on_organization_updated)."""
    if not {"tier", "sla_policy"} & set(event.changes):
        return
    enqueue_on_commit("slas.reapply_customer", event.customer.pk)


def on_customer_merging(event: events.DomainEvent) -> None:
    """The source's tickets move to the merged customer (and the organization they keep):
    re-measure them and check their new tier's channels once the merge committed."""
    ticket_ids = list(
        Ticket.objects.filter(requester=event.data["source"]).values_list("pk", flat=True)
    )
    if ticket_ids:
        enqueue_on_commit("slas.reapply_merged_tickets", ticket_ids)


# Everything a cached policy version or tier reads (selectors.policy_get, tier_get): other
# processes see an edit within SLA_POLICY_CACHE_SECONDS, this one at once.
_POLICY_PARTS = (
    models.SlaPolicy,
    models.SlaTarget,
    models.BusinessCalendar,
    models.BusinessInterval,
    models.CalendarHoliday,
    models.SlaTier,
)


def connect() -> None:
    """Subscribe the handlers, in this order, and clear the policy cache on any edit of what it
    holds. Idempotent: events.subscribe and the dispatch_uids ignore a second call."""
    events.subscribe(events.ORGANIZATION_UPDATED, on_organization_updated)
    events.subscribe(events.CUSTOMER_UPDATED, on_customer_updated)
    events.subscribe(events.CUSTOMER_MERGING, on_customer_merging)
    events.subscribe(events.TICKET_OPENING, on_ticket_opening)
    events.subscribe(events.TICKET_CREATED, on_ticket_created)
    events.subscribe(events.MESSAGE_CREATED, on_message_created)
    events.subscribe(events.TICKET_UPDATED, on_ticket_updated, many=on_tickets_updated)
    for model in _POLICY_PARTS:
        uid = f"slas.policy_cache_clear.{model.__name__}"
        post_save.connect(policy_cache_clear, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(policy_cache_clear, sender=model, weak=False, dispatch_uid=uid)
