"""Automatic assignment per team (TeamRouting): round robin or least loaded among the team's
agents who are available and under capacity (open tickets; active chats for a chat ticket),
optionally only those whose skills match the ticket's tags.

Safe under concurrency: the candidates' AgentAvailability rows are locked (FOR UPDATE, in id
order, so two assignments never deadlock) before their load is counted, so tickets arriving
at once are assigned one after the other and never push an agent over capacity. The team's
routing row is locked first (the round-robin pointer). 'Get next ticket' (ticket_claim_next)
keeps working beside it: it takes only unassigned tickets, with SKIP LOCKED.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q

from accounts.models import User
from tickets.channels import registry
from tickets.models import Ticket
from tickets.services import ticket_update
from tickets.status import ACTIVE, UNRESOLVED

from .models import AgentAvailability, OnAway, RoutingMethod, TeamRouting


def _live_kinds() -> list[str]:
    """Channel kinds an agent holds a few of at a time (live chat): the chat capacity."""
    return registry.kinds_where(lambda adapter: adapter.capabilities.live)


def _load_filter(chat: bool) -> Q:
    if chat:
        return Q(assigned_tickets__status__in=ACTIVE, assigned_tickets__channel__in=_live_kinds())
    return Q(assigned_tickets__status__in=UNRESOLVED)


def ticket_route(*, ticket: Ticket) -> User | None:
    """Assign an unassigned ticket by its team's routing; the agent, or None (it stays in the
    queue) when the team has no active routing or no agent is available under capacity."""

    from .selectors import active_rules

    if ticket.team_id not in active_rules().routed_teams:
        return None  # no query (not even a savepoint) for teams without routing: most tickets
    return _route(ticket)


@transaction.atomic
def _route(ticket: Ticket) -> User | None:
    routing = (
        TeamRouting.objects.select_for_update().filter(team_id=ticket.team_id, active=True).first()
    )
    if routing is None:
        return None
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.assignee_id is not None or ticket.status not in ACTIVE:
        return None
    chat = ticket.channel in _live_kinds()
    availability = list(
        AgentAvailability.objects.select_for_update()
        .filter(available=True, agent__is_active=True, agent__teams=ticket.team_id)
        .order_by("id")
    )
    if routing.match_skills:
        tags = {t.lower() for t in ticket.tags.values_list("name", flat=True)}
        availability = [a for a in availability if tags & {s.lower() for s in a.skills}]
    if not availability:
        return None
    loads = dict(
        User.objects.filter(pk__in=[a.agent_id for a in availability])
        .annotate(load=Count("assigned_tickets", filter=_load_filter(chat)))
        .values_list("pk", "load")
    )
    free = [
        a
        for a in availability
        if loads.get(a.agent_id, 0) < (a.chat_capacity if chat else a.capacity)
    ]
    if not free:
        return None
    if routing.method == RoutingMethod.LEAST_LOADED:
        chosen = min(free, key=lambda a: (loads.get(a.agent_id, 0), a.agent_id))
    else:
        ordered = sorted(free, key=lambda a: a.agent_id)
        last = routing.last_assigned_id or 0
        chosen = next((a for a in ordered if a.agent_id > last), ordered[0])
    agent = chosen.agent
    ticket_update(ticket=ticket, actor=None, assignee=agent)
    routing.last_assigned = agent
    routing.save(update_fields=["last_assigned", "updated_at"])
    return agent


@transaction.atomic
def availability_set(
    *,
    agent: User,
    available: bool | None = None,
    capacity: int | None = None,
    chat_capacity: int | None = None,
    skills: list[str] | None = None,
) -> AgentAvailability:
    """Toggle an agent available/away (and capacity, skills). Going away applies each of
    their teams' `on_away`: keep the tickets, return open ones to the queue, or reassign
    them by routing."""

    # Lock order as in ticket_route: the teams' routing rows first, then availability, so an
    # agent going away never deadlocks with a ticket being routed to them.
    routings = list(
        TeamRouting.objects.select_for_update()
        .filter(active=True, team__members=agent)
        .order_by("id")
    )
    row, _ = AgentAvailability.objects.select_for_update().get_or_create(agent=agent)
    going_away = available is False and row.available
    for name, value in (
        ("available", available),
        ("capacity", capacity),
        ("chat_capacity", chat_capacity),
        ("skills", skills),
    ):
        if value is not None:
            setattr(row, name, value)
    row.save()
    if going_away:
        for routing in routings:
            if routing.on_away == OnAway.KEEP:
                continue
            tickets = Ticket.objects.filter(
                assignee=agent, team_id=routing.team_id, status__in=ACTIVE
            ).order_by("id")
            for ticket in tickets:
                ticket = ticket_update(ticket=ticket, actor=None, assignee=None)
                if routing.on_away == OnAway.REASSIGN:
                    ticket_route(ticket=ticket)
    return row
