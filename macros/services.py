"""Macros: saving them (validated: field errors, nothing written) and applying one to a ticket
(the reply through tickets.services.ticket_reply, the field changes through ticket_update,
the usage counted, a `macro.applied` audit event), all in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import EllipsisType

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.unset import UNSET
from tickets import services as ticket_services
from tickets.attachments import AttachmentInput
from tickets.models import EventKind, Message, Priority, Team, Ticket
from tickets.placeholders import PlaceholderContext, placeholders_check, placeholders_render

from .models import MACRO_STATUSES, Macro
from .selectors import may_change


def _tags(names: Iterable[str]) -> list[str]:
    return sorted({slugify(str(name), allow_unicode=True)[:50] for name in names} - {""})


def _validate(macro: Macro, actor) -> None:
    errors: dict[str, list[str]] = {}
    if not macro.name.strip():
        errors["name"] = [_("Give the macro a name.")]
    if not macro.body.strip():
        errors["body"] = [_("Give the reply text.")]
    elif problems := placeholders_check(macro.body):
        errors["body"] = problems
    if macro.is_shared and not actor.is_manager:
        errors["is_shared"] = [_("Only managers share macros; keep it personal.")]
    if macro.set_status and macro.set_status not in MACRO_STATUSES:
        errors["set_status"] = [_("A macro sets open, pending, on hold or solved.")]
    same_name = Macro.objects.filter(name=macro.name.strip()).exclude(pk=macro.pk)
    same_name = (
        same_name.filter(is_shared=True)
        if macro.is_shared
        else same_name.filter(is_shared=False, owner_id=macro.owner_id)
    )
    if "name" not in errors and same_name.exists():
        errors["name"] = [_("A macro with this name exists already.")]
    if errors:
        raise ValidationError(errors)


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError({"set_team_id": [_("Team %(id)s does not exist.") % {"id": team_id}]})
    return team


@transaction.atomic
def macro_save(
    *,
    macro: Macro,
    actor,
    name: str | EllipsisType = UNSET,
    body: str | EllipsisType = UNSET,
    is_shared: bool | EllipsisType = UNSET,
    set_status: str | EllipsisType = UNSET,
    set_priority: int | EllipsisType | None = UNSET,
    set_team_id: int | EllipsisType | None = UNSET,
    add_tags: Iterable[str] | EllipsisType = UNSET,
) -> Macro:
    """Create (`macro` unsaved: owned by `actor`) or change a macro. A personal macro is its
    owner's to change, a shared one managers' (PermissionDenied); bad values are a
    ValidationError per field (placeholders checked against the allow-list)."""
    if macro.pk is None:
        macro.owner = actor
    elif not may_change(actor, macro):
        raise PermissionDenied(_("Only its owner changes a personal macro, managers a shared one."))
    values = {
        "name": name.strip() if isinstance(name, str) else name,
        "body": body,
        "is_shared": is_shared,
        "set_status": set_status,
        "set_priority": set_priority,
        "set_team": _team(set_team_id) if set_team_id is not UNSET else UNSET,
        "add_tags": _tags(add_tags) if add_tags is not UNSET else UNSET,
    }
    for field, value in values.items():
        if value is not UNSET:
            setattr(macro, field, value)
    _validate(macro, actor)
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro, actor) -> None:
    if not may_change(actor, macro):
        raise PermissionDenied(_("Only its owner deletes a personal macro, managers a shared one."))
    macro.delete()


def macro_render(*, macro: Macro, ticket: Ticket, agent) -> str:
    """The macro's reply for `ticket`, as `agent` would send it (placeholders filled)."""
    return placeholders_render(macro.body, PlaceholderContext(ticket=ticket, agent=agent))


def macro_changes(macro: Macro) -> dict:
    """What applying the macro sets besides the reply, as the API and the picker show it."""
    changes: dict = {}
    if macro.set_status:
        changes["status"] = macro.set_status
    if macro.set_priority is not None:
        changes["priority"] = Priority(macro.set_priority).label
    if macro.set_team_id is not None:
        changes["team"] = macro.set_team_id
    if macro.add_tags:
        changes["add_tags"] = list(macro.add_tags)
    return changes


def macro_count_use(*, macro: Macro) -> None:
    """One more use (an agent's apply, an automation's reply): one UPDATE, no lost counts
    under concurrency (F expression)."""
    Macro.objects.filter(pk=macro.pk).update(
        usage_count=F("usage_count") + 1, last_used_at=timezone.now()
    )


@dataclass(frozen=True)
class MacroApplied:
    ticket: Ticket
    message: Message


def _field_changes(macro: Macro, ticket: Ticket) -> dict:
    fields: dict = {}
    if macro.set_priority is not None and macro.set_priority != ticket.priority:
        fields["priority"] = macro.set_priority
    if macro.set_team_id is not None and macro.set_team_id != ticket.team_id:
        fields["team"] = macro.set_team
    if macro.add_tags:
        current = list(ticket.tags.values_list("name", flat=True))
        if set(macro.add_tags) - set(current):
            fields["tags"] = [*current, *macro.add_tags]
    return fields


@transaction.atomic
def macro_apply(
    *,
    macro: Macro,
    ticket: Ticket,
    actor,
    body: str | None = None,
    public: bool = True,
    status: str | None = None,
    attachments: Iterable[AttachmentInput] = (),
    expected_version: int | None = None,
    claim: bool = False,
    record_unsent: bool = False,
) -> MacroApplied:
    """Send the macro's reply on `ticket` (rendered, or `body` as the agent edited it) and
    apply its field changes, in one transaction: the reply through ticket_reply (its status:
    `status` if given, else the macro's), then priority, team and added tags through
    ticket_update, then the usage count and a `macro.applied` audit event. A stale
    `expected_version` or a closed ticket is a ConflictError and nothing is written."""
    text = (
        body
        if body is not None and body.strip()
        else macro_render(macro=macro, ticket=ticket, agent=actor)
    )
    message = ticket_services.ticket_reply(
        ticket=ticket,
        author=actor,
        body=text,
        public=public,
        status=status or macro.set_status or None,
        attachments=attachments,
        expected_version=expected_version,
        claim=claim,  # ticket_reply's: a public reply may assign an unassigned ticket
        record_unsent=record_unsent,
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    fields = _field_changes(macro, ticket)
    if fields:
        ticket = ticket_services.ticket_update(ticket=ticket, actor=actor, **fields)
    macro_count_use(macro=macro)
    ticket_services.audit_record(
        ticket=ticket,
        kind=EventKind.MACRO_APPLIED,
        after={"macro": macro.name, "message": message.pk},
        actor_user=actor,
    )
    return MacroApplied(ticket=ticket, message=message)
