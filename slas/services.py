"""SLA state changes asked for by people and tasks: re-measuring running tickets with the
policy that applies now (a manager's re-apply, or a new tier or override policy of an
organization or customer). The clock rules are in slas.clocks; what the engine does on
ticket events is in slas.handlers; which policy applies is in slas.selectors.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tickets import services as ticket_services
from tickets.models import EventKind, Ticket
from tickets.status import UNRESOLVED, Status

from . import clocks, hybrid, selectors
from .models import SlaClock


@transaction.atomic
def ticket_sla_reapply(*, ticket: Ticket, actor=None) -> int:
    """Measure a running ticket with the policy that applies now (the current version of its
    tier's or override policy), keeping the time already used; records `sla.reapplied`.
    Returns clocks changed. A ticket not measured so far (no tier then) is measured from when
    it arrived, with the clocks the table starts with a ticket."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    policy = selectors.policy_for(ticket)
    if policy is None:
        return 0
    if SlaClock.objects.filter(ticket=ticket).exists():
        changed = clocks.retarget(ticket, at=timezone.now(), policy=policy)
    else:
        started = [
            clocks.clock_start(ticket, policy, metric, ticket.created_at)
            for metric in clocks.metrics_starting_with(ticket)
        ]
        changed = sum(1 for clock in started if clock is not None)
        if ticket.status in (Status.PENDING, Status.ON_HOLD):
            clocks.clocks_after_status_change(ticket, Status.OPEN, ticket.status, timezone.now())
        clocks.refresh_next_due(ticket)
    ticket_services.audit_record(
        ticket=ticket, kind=EventKind.SLA_REAPPLIED, actor_user=actor, after={"policy": str(policy)}
    )
    return changed


def organization_reapply(*, organization_id: int) -> int:
    """Re-apply the policy that applies now to each unresolved ticket of the organization,
    one transaction per ticket. Returns how many tickets were re-measured."""
    return _reapply_unresolved(Ticket.objects.filter(organization_id=organization_id))


def customer_reapply(*, customer_id: int) -> int:
    """Re-apply the policy that applies now to each unresolved ticket the customer requested,
    one transaction per ticket. Returns how many tickets were re-measured."""
    return _reapply_unresolved(Ticket.objects.filter(requester_id=customer_id))


def _reapply_unresolved(tickets: QuerySet[Ticket]) -> int:
    ticket_ids = tickets.filter(status__in=UNRESOLVED).values_list("pk", flat=True)
    count = 0
    for ticket in Ticket.objects.filter(pk__in=list(ticket_ids)).select_related(
        "requester", "organization"
    ):
        ticket_sla_reapply(ticket=ticket)
        count += 1
    return count


def merged_tickets_reapply(*, ticket_ids: list[int]) -> int:
    """Tickets that moved to another customer in a merge (and into the organization that
    customer keeps): each unresolved one is measured with the policy that applies now and
    checked against its new tier's channels (flagged outside the plan and answered once, as
    a new ticket on that channel would be). One transaction per ticket; returns how many."""
    count = 0
    for ticket in Ticket.objects.filter(pk__in=ticket_ids, status__in=UNRESOLVED).select_related(
        "requester", "organization"
    ):
        with transaction.atomic():
            ticket_sla_reapply(ticket=ticket)
            tier = selectors.tier_for(ticket)
            if hybrid.is_outside_plan(ticket, tier):
                hybrid.outside_plan_apply(ticket, tier, auto_reply=False)
        count += 1
    return count
