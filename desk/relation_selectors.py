"""What the ticket page shows of merges and problems, read from what desk_ticket already
fetched (the pointer, the ticket's problem, a problem's settings: no query) plus, on a problem,
one query for its incidents."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist

from tickets.models import ProblemLink, ProblemSettings, Ticket, TicketMerge, TicketType
from tickets.selectors import problem_incidents

INCIDENTS_SHOWN = 50


def _one(ticket: Ticket, name: str):
    try:
        return getattr(ticket, name)
    except ObjectDoesNotExist:
        return None


@dataclass(frozen=True)
class TicketRelations:
    merged_into: TicketMerge | None
    problem_link: ProblemLink | None
    is_problem: bool
    settings: ProblemSettings | None
    incidents: list[ProblemLink] = field(default_factory=list)
    more_incidents: bool = False

    @property
    def notified(self) -> int:
        return sum(1 for link in self.incidents if link.notified_at)


def ticket_relations(ticket: Ticket) -> TicketRelations:
    is_problem = ticket.type == TicketType.PROBLEM
    incidents = list(problem_incidents(ticket)[: INCIDENTS_SHOWN + 1]) if is_problem else []
    return TicketRelations(
        merged_into=_one(ticket, "merge"),
        problem_link=_one(ticket, "problem_link"),
        is_problem=is_problem,
        settings=_one(ticket, "problem_settings"),
        incidents=incidents[:INCIDENTS_SHOWN],
        more_incidents=len(incidents) > INCIDENTS_SHOWN,
    )
