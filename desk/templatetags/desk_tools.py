"""Template tags of the ticket page's tools (merge and problems: desk/ticket_tools.py)."""

from __future__ import annotations

from django import template
from django.core.exceptions import ObjectDoesNotExist

from ..relation_selectors import TicketRelations, ticket_relations

register = template.Library()


@register.simple_tag
def relations_of(ticket) -> TicketRelations:
    """The ticket's merge pointer, problem and (on a problem) incidents."""
    return ticket_relations(ticket)


@register.filter
def merged_into(ticket):
    """The merge row of a merged ticket (fetched with it by desk_ticket), else None."""
    return ticket_relations_pointer(ticket, "merge")


@register.filter
def problem_of(ticket):
    """The problem link of an incident (fetched with it by desk_ticket), else None."""
    return ticket_relations_pointer(ticket, "problem_link")


def ticket_relations_pointer(ticket, name: str):
    try:
        return getattr(ticket, name)
    except ObjectDoesNotExist:
        return None
