"""Bulk actions on a list of tickets (a desk view's checkboxes, POST /api/v1/tickets/bulk/):
each ticket goes through ticket_update, in a savepoint of its own, so each is audited as if
changed alone and one ticket's failure (closed, a transition not allowed, an assignee not in
its team, not visible to the caller) is reported for that ticket while the others proceed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from core.errors import ConflictError

from ..models import Team, Ticket
from ..selectors import tickets_visible_to
from ..status import Status
from .update import ticket_update

MAX_TICKETS = 100


@dataclass(frozen=True)
class BulkResult:
    """What happened to one ticket: `code` is updated, unchanged, not_found, invalid or
    conflict (the last three with a message)."""

    ticket_id: int
    code: str
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.code in ("updated", "unchanged")


def _assignee(value: Any) -> dict:
    if value is None:
        return {"assignee": None}
    user = User.objects.filter(pk=value, is_active=True).first() if _is_id(value) else None
    if user is None or not user.is_agent:
        raise ValidationError({"value": [f"No active agent with id {value!r}."]})
    return {"assignee": user}


def _status(value: Any) -> dict:
    if value not in Status.values:
        raise ValidationError({"value": [f"One of: {', '.join(Status.values)}."]})
    return {"status": value}


def _team(value: Any) -> dict:
    team = Team.objects.filter(pk=value).first() if _is_id(value) else None
    if team is None:
        raise ValidationError({"value": [f"No team with id {value!r}."]})
    return {"team": team}


def _tag(value: Any) -> dict:
    if not isinstance(value, str) or not value.strip() or len(value) > 50:
        raise ValidationError({"value": ["A tag name (1 to 50 characters)."]})
    return {"add_tag": value.strip()}


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


# action -> (what `value` must be, turned into ticket_update's keywords): one entry per action.
ACTIONS: dict[str, Callable[[Any], dict]] = {
    "assign": _assignee,
    "set_status": _status,
    "add_tag": _tag,
    "move_team": _team,
}


def _clean_ids(ticket_ids: Iterable[Any]) -> list[int]:
    ids = list(dict.fromkeys(ticket_ids))
    if not ids or len(ids) > MAX_TICKETS or not all(_is_id(pk) for pk in ids):
        raise ValidationError({"ids": [f"1 to {MAX_TICKETS} ticket ids."]})
    return ids


def _apply_one(ticket: Ticket, actor, changes: dict) -> BulkResult:
    changes = dict(changes)
    tag = changes.pop("add_tag", None)
    if tag is not None:
        changes["tags"] = [*(t.name for t in ticket.tags.all()), tag]
    version = ticket.version
    try:
        with transaction.atomic():
            updated = ticket_update(ticket=ticket, actor=actor, **changes)
    except ValidationError as exc:
        messages = exc.messages if hasattr(exc, "messages") else [str(exc)]
        return BulkResult(ticket.pk, "invalid", " ".join(messages))
    except ConflictError as exc:
        return BulkResult(ticket.pk, "conflict", exc.message)
    return BulkResult(ticket.pk, "updated" if updated.version != version else "unchanged")


def tickets_bulk_update(
    *, actor, ticket_ids: Iterable[Any], action: str, value: Any
) -> list[BulkResult]:
    """Apply one action to each ticket, in the order given, and say per ticket what
    happened. A bad action, value or id list is a ValidationError before anything is written;
    a ticket the actor may not see is `not_found` (never confirming that it exists)."""
    if action not in ACTIONS:
        raise ValidationError({"action": [f"One of: {', '.join(ACTIONS)}."]})
    ids = _clean_ids(ticket_ids)
    changes = ACTIONS[action](value)
    visible = {
        t.pk: t for t in tickets_visible_to(actor).filter(pk__in=ids).prefetch_related("tags")
    }
    results = []
    for pk in ids:
        ticket = visible.get(pk)
        if ticket is None:
            results.append(BulkResult(pk, "not_found", "No such ticket."))
        else:
            results.append(_apply_one(ticket, actor, changes))
    return results
