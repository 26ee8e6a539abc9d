"""What a desk socket may listen to: the same rules as the desk's pages, from tickets.selectors
(a ticket the agent may open; the teams whose queue is theirs)."""

from __future__ import annotations

from tickets import selectors as ticket_selectors
from tickets.models import Team


def ticket_visible(user, ticket_id: int) -> bool:
    """The desk's ticket page would show this ticket to `user` (tickets_visible_to)."""
    return ticket_selectors.tickets_visible_to(user).filter(pk=ticket_id).exists()


def queue_team_ids(user) -> list[int]:
    """The teams whose tickets make up `user`'s queue (tickets_in_queue_of: their teams)."""
    return list(Team.objects.filter(members=user).order_by("id").values_list("id", flat=True))
