"""Reads of tickets: what a caller may see, and the conversation of one ticket."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from customers.models import CustomerIdentity

from .models import Message, Team, Ticket, TicketEvent


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """The one rule for ticket visibility; everything else (404s included) follows from it.

    managers: every ticket; agents: tickets of their teams and tickets assigned to them;
    integrations: tickets they created and tickets of customers they submitted.
    """
    tickets = Ticket.objects.all()
    if not user.is_authenticated:
        return tickets.none()
    if user.is_manager:
        return tickets
    if user.is_agent:
        return tickets.filter(Q(team__in=Team.objects.filter(members=user)) | Q(assignee=user))
    if user.is_integration:
        return tickets.filter(Q(source_integration=user) | Q(requester__source_integration=user))
    return tickets.none()


def with_list_relations(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Everything the ticket serializer reads, in a constant number of queries."""
    return tickets.select_related("requester", "organization", "team", "assignee").prefetch_related(
        "tags",
        Prefetch("requester__identities", queryset=CustomerIdentity.objects.order_by("id")),
    )


def ticket_messages(ticket: Ticket, *, include_internal: bool) -> QuerySet[Message]:
    messages = ticket.messages.select_related("author_customer", "author_user").prefetch_related(
        "attachments"
    )
    return messages if include_internal else messages.filter(is_public=True)


def ticket_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor_user", "actor_customer")
