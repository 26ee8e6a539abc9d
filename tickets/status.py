"""The ticket status lifecycle, in one place.

    new -> open -> pending / on_hold -> solved -> closed

Everything that moves a ticket asks `check_transition` first. A customer writing to a solved
ticket reopens it (`status_after_customer_message`); closed is final: a customer writing to a
closed ticket starts a new ticket, and nothing moves a closed one.
"""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending (waiting on the customer)"
    ON_HOLD = "on_hold", "On hold (waiting on a third party)"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# Statuses in which agents owe the customer something (the queue shows these).
ACTIVE = frozenset({Status.NEW, Status.OPEN})
# Statuses in which the ticket is not finished.
UNRESOLVED = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})


class TransitionError(ValueError):
    pass


def check_transition(current: str, target: str) -> None:
    if current == target:
        return
    if target not in TRANSITIONS[current]:
        if current == Status.CLOSED:
            raise TransitionError("A closed ticket is final; open a new ticket instead.")
        raise TransitionError(
            f"A ticket cannot go from {Status(current).label.lower()} to "
            f"{Status(target).label.lower()}."
        )


def status_after_customer_message(current: str) -> str:
    """The customer spoke: anything waiting on them or finished becomes open again."""
    if current == Status.CLOSED:
        raise TransitionError("A closed ticket is final; open a new ticket instead.")
    if current in (Status.PENDING, Status.SOLVED):
        return Status.OPEN
    return current


def status_after_agent_reply(current: str, requested: str | None) -> str:
    """An agent's public reply opens a new ticket unless they chose another status."""
    if requested:
        return requested
    return Status.OPEN if current == Status.NEW else current
