"""Changing tickets: fields and status (every change audited, the version bumped), teams, and
claiming the next ticket of a queue."""

from __future__ import annotations

from collections.abc import Iterable
from types import EllipsisType
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from core.errors import ConflictError
from core.unset import UNSET, Unset

from ..models import (
    EventKind,
    Priority,
    Team,
    Ticket,
)
from ..selectors import tickets_in_queue_of
from ..status import Status
from .common import (
    _apply_status,
    _Changes,
    _check_assignee,
    _locked,
    _tag_objects,
    _team_named,
)


@transaction.atomic
def ticket_update(  # noqa: C901 - one audited branch per field
    *,
    ticket: Ticket,
    actor,
    subject: str | Unset = UNSET,
    status: str | Unset = UNSET,
    priority: int | Unset = UNSET,
    type: str | Unset = UNSET,
    team: Team | Unset | None = UNSET,
    assignee: Any = UNSET,
    tags: Iterable[str] | Unset = UNSET,
    expected_version: int | None = None,
) -> Ticket:
    """Change a ticket's fields; each change is one audit event.

    With `expected_version`, a ticket changed by someone else since it was read raises
    ConflictError instead of silently overwriting their change.
    """
    ticket = _locked(ticket)
    if expected_version is not None and expected_version != ticket.version:
        raise ConflictError(
            f"Ticket #{ticket.pk} changed since you loaded it (version {ticket.version}, "
            f"you had {expected_version}).",
            code="stale_version",
        )
    if ticket.status == Status.CLOSED:
        raise ConflictError("A closed ticket is final and cannot be changed.", code="closed")
    changes = _Changes(ticket, actor_user=actor)
    if subject is not UNSET and subject.strip() != ticket.subject:
        changes.record(
            EventKind.FIELDS_CHANGED, {"subject": ticket.subject}, {"subject": subject.strip()}
        )
        ticket.subject = subject.strip()
    if type is not UNSET and type != ticket.type:
        changes.record(EventKind.FIELDS_CHANGED, {"type": ticket.type}, {"type": type})
        ticket.type = type
    if priority is not UNSET and priority != ticket.priority:
        changes.record(
            EventKind.PRIORITY_CHANGED,
            {"priority": Priority(ticket.priority).label},
            {"priority": Priority(priority).label},
        )
        ticket.priority = priority
    if team is not UNSET and team != ticket.team:
        changes.record(
            EventKind.TEAM_CHANGED, {"team": ticket.team_id}, {"team": team.pk if team else None}
        )
        ticket.team = team
        if assignee is UNSET and ticket.assignee is not None:
            # Moving to another team keeps the assignee only if they belong there.
            try:
                _check_assignee(ticket.assignee, team)
            except ValidationError:
                assignee = None
    if assignee is not UNSET and assignee != ticket.assignee:
        _check_assignee(assignee, ticket.team)
        changes.record(
            EventKind.ASSIGNED,
            {"assignee": ticket.assignee_id},
            {"assignee": assignee.pk if assignee else None},
        )
        ticket.assignee = assignee
    if status is not UNSET:
        _apply_status(ticket, status, changes, EventKind.STATUS_CHANGED)
    if tags is not UNSET:
        current = sorted(ticket.tags.values_list("name", flat=True))
        tag_objects = _tag_objects(tags)
        wanted = sorted(t.name for t in tag_objects)
        if wanted != current:
            ticket.tags.set(tag_objects)
            changes.record(EventKind.TAGS_CHANGED, {"tags": current}, {"tags": wanted})
    if changes.events:
        ticket.version += 1  # safe: the row is locked for this transaction
        ticket.save()
        changes.save()
        changes.publish_update()
    return ticket


def ticket_edit(
    *,
    ticket: Ticket,
    actor,
    team_id: int | EllipsisType | None = UNSET,
    assignee_id: int | EllipsisType | None = UNSET,
    expected_version: int | None = None,
    **changes: Any,
) -> Ticket:
    """ticket_update for an API caller who names the team and the assignee by id (None:
    none); an unknown team or an inactive or unknown user is a ValidationError on its field."""
    if team_id is not UNSET:
        changes["team"] = _team_named(team_id)
    if assignee_id is not UNSET:
        changes["assignee"] = None
        if assignee_id is not None:
            changes["assignee"] = User.objects.filter(pk=assignee_id, is_active=True).first()
            if changes["assignee"] is None:
                raise ValidationError({"assignee_id": [f"User {assignee_id} not found."]})
    return ticket_update(ticket=ticket, actor=actor, expected_version=expected_version, **changes)


@transaction.atomic
def team_save(
    *,
    team: Team,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    is_default: bool | Unset = UNSET,
    members: Iterable | Unset = UNSET,
) -> Team:
    """Create or change a team. Making a team the default takes the flag from the previous one."""
    if name is not UNSET:
        team.name = name
    if description is not UNSET:
        team.description = description
    if is_default is True:
        Team.objects.filter(is_default=True).exclude(pk=team.pk).update(is_default=False)
    if is_default is not UNSET:
        team.is_default = is_default
    team.save()
    if members is not UNSET:
        team.members.set(members)
    return team


@transaction.atomic
def ticket_claim_next(*, agent) -> Ticket | None:
    """Assign the most urgent unassigned ticket of the agent's queue to the agent.

    SELECT ... FOR UPDATE SKIP LOCKED: two agents claiming at once lock different rows, so
    they never get the same ticket, and neither waits on the other. None when nothing waits.
    """
    candidate = (
        tickets_in_queue_of(agent)
        .filter(assignee__isnull=True)
        .select_for_update(skip_locked=True, of=("self",))
        .first()
    )
    if candidate is None:
        return None
    return ticket_update(ticket=candidate, actor=agent, assignee=agent)
