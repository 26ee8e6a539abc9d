"""The names of the real-time groups (Channels groups: ASCII letters, digits, '-', '.', '_',
under 100 characters). One place, so publishers and consumers cannot disagree."""

from __future__ import annotations


def ticket(ticket_id: int) -> str:
    """Everyone looking at one ticket: agents on its desk page, the visitor of its chat."""
    return f"ticket.{ticket_id}"


def team_queue(team_id: int | None) -> str:
    """Agents whose queue shows a team's tickets (None: tickets without a team)."""
    return f"queue.team.{team_id if team_id is not None else 'none'}"


def visitor(thread_id: int) -> str:
    """The widget sockets of one chat conversation (a ChannelThread), on every page load."""
    return f"chat.visitor.{thread_id}"
