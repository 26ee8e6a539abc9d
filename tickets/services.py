"""Ticket operations: the only code that changes tickets, messages and their audit trail.

Each public function runs in one transaction, records an audit event for every change it
makes (who, when, before/after), bumps `Ticket.version` so collisions can be detected, and
publishes domain events (core.events: ticket.created, message.created, ticket.updated)
that other apps (SLA clocks, channels, webhooks, follow-ups) act on in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import EllipsisType
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from core import events
from core.errors import ConflictError
from core.text import html_to_text, sanitize_html, text_to_html
from core.unset import UNSET, Unset
from customers.models import Customer
from customers.services import IdentityInput, customer_named_by

from .attachments import AttachmentInput, validate_attachment
from .models import (
    Attachment,
    ChannelKind,
    Direction,
    EventKind,
    Message,
    Priority,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketType,
)
from .selectors import tickets_in_queue_of
from .status import Status, TransitionError, check_transition, status_after_agent_reply
from .status import status_after_customer_message as _status_after_customer_message


@dataclass
class _Changes:
    """Audit events collected during one operation, written in one INSERT, then announced
    as one ticket.updated domain event (in the same transaction)."""

    ticket: Ticket
    actor_user: Any = None
    actor_customer: Customer | None = None
    events: list[TicketEvent] = field(default_factory=list)
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def record(self, kind: str, before: dict | None = None, after: dict | None = None) -> None:
        before, after = before or {}, after or {}
        self.events.append(
            TicketEvent(
                ticket=self.ticket,
                kind=kind,
                actor_user=self.actor_user,
                actor_customer=self.actor_customer,
                before=before,
                after=after,
            )
        )
        for name in after.keys() & before.keys():
            first_before = self.fields.get(name, (before[name], None))[0]
            self.fields[name] = (first_before, after[name])

    def save(self) -> None:
        TicketEvent.objects.bulk_create(self.events)

    def publish_update(self, **data: Any) -> None:
        if self.fields:
            events.publish(
                events.TICKET_UPDATED,
                ticket=self.ticket,
                actor=self.actor_user,
                customer=self.actor_customer,
                changes=dict(self.fields),
                data=data,
            )


# --- the audit trail, for changes other apps make or see ----------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    """One audit event for audit_record_many: on which ticket, what (an EventKind), by whom."""

    ticket_id: int
    kind: str
    after: dict = field(default_factory=dict)
    before: dict = field(default_factory=dict)
    actor_user: Any = None
    actor_customer: Customer | None = None


def _audit_event(entry: AuditEntry) -> TicketEvent:
    if entry.kind not in EventKind.values:
        raise ValueError(f"{entry.kind!r} is not a tickets.models.EventKind: add it there.")
    return TicketEvent(
        ticket_id=entry.ticket_id,
        kind=entry.kind,
        actor_user=entry.actor_user,
        actor_customer=entry.actor_customer,
        before=entry.before,
        after=entry.after,
    )


def audit_record(
    *,
    ticket: Ticket,
    kind: str,
    after: dict | None = None,
    before: dict | None = None,
    actor_user=None,
    actor_customer: Customer | None = None,
) -> TicketEvent:
    """Record one audit event on `ticket` (an SLA step, a merge) in the caller's transaction.

    Invariant: every row of the audit trail is written here or by the ticket services above,
    and its kind is an EventKind (ValueError otherwise: a programming error). One INSERT.
    """
    entry = AuditEntry(ticket.pk, kind, after or {}, before or {}, actor_user, actor_customer)
    event = _audit_event(entry)
    event.save()
    return event


def audit_record_many(*, entries: Iterable[AuditEntry]) -> list[TicketEvent]:
    """audit_record for many tickets at once, in one INSERT (a sweep's batch, a merge)."""
    events_ = [_audit_event(entry) for entry in entries]
    return TicketEvent.objects.bulk_create(events_) if events_ else []


def ticket_sla_fields_set(
    *,
    ticket: Ticket,
    next_due_at: datetime | EllipsisType | None = UNSET,
    outside_plan: bool | EllipsisType = UNSET,
) -> None:
    """Set what the SLA engine keeps on a ticket (the queue's `next_due_at`, the outside-plan
    flag) in one UPDATE, in the caller's transaction (the SLA handlers run in the ticket
    service's). Derived state, not someone's change: no version bump, and the audit event (if
    any) is the caller's to record."""
    values = {
        name: value
        for name, value in (("next_due_at", next_due_at), ("outside_plan", outside_plan))
        if value is not UNSET
    }
    if values:
        Ticket.objects.filter(pk=ticket.pk).update(**values)
        for name, value in values.items():
            setattr(ticket, name, value)


# --- tickets and messages -----------------------------------------------------------------------


def _body_pair(body: str, html_body: str) -> tuple[str, str]:
    """Both renderings of a message body: text for search and plain channels, sanitized HTML."""
    body, html_body = (body or "").strip(), sanitize_html(html_body or "")
    if not body and html_body:
        body = html_to_text(html_body)
    if not html_body and body:
        html_body = text_to_html(body)
    return body, html_body


def _tag_objects(names: Iterable[str]) -> list[Tag]:
    slugs = sorted({slugify(name, allow_unicode=True)[:50] for name in names} - {""})
    if not slugs:
        return []
    Tag.objects.bulk_create([Tag(name=slug) for slug in slugs], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=slugs))


def _default_team() -> Team | None:
    return Team.objects.filter(is_default=True).first()


def _message_create(
    *,
    ticket: Ticket,
    direction: str,
    body: str,
    html_body: str = "",
    public: bool = True,
    channel: str | None = None,
    author_user=None,
    author_customer: Customer | None = None,
    external_id: str = "",
    attachments: Iterable[AttachmentInput] = (),
    withheld_parts: Iterable[dict] = (),
) -> Message:
    files = [validate_attachment(item) for item in attachments]
    body, html_body = _body_pair(body, html_body)
    withheld_parts = list(withheld_parts)
    if not body and not files:
        raise ValidationError({"body": ["A message needs a body or an attachment."]})
    message = Message.objects.create(
        ticket=ticket,
        direction=direction,
        is_public=public,
        channel=channel or ticket.channel,
        body_text=body,
        body_html=html_body,
        author_user=author_user,
        author_customer=author_customer,
        external_id=external_id,
        withheld_parts=withheld_parts,
    )
    for item in files:
        attachment = Attachment(
            message=message,
            filename=item.filename,
            content_type=item.content_type,
            size=item.size,
            content_id=item.content_id,
        )
        attachment.file.save(item.filename, item.content, save=False)
        attachment.save()
    return message


@transaction.atomic
def ticket_create(
    *,
    requester: Customer,
    subject: str,
    body: str = "",
    html_body: str = "",
    channel: str = ChannelKind.WEB,
    priority: int = Priority.NORMAL,
    type: str = TicketType.QUESTION,
    team: Team | None = None,
    assignee=None,
    tags: Iterable[str] = (),
    kind: str = TicketKind.REACTIVE,
    external_ref: str = "",
    actor=None,
    source_integration=None,
    external_id: str = "",
    attachments: Iterable[AttachmentInput] = (),
    withheld_parts: Iterable[dict] = (),
    public: bool = True,
) -> Ticket:
    """Open a ticket with its first message.

    A reactive ticket starts with the customer's inbound message; a proactive one (we reach
    out) starts with the agent's outbound message. The team is the one given, else the
    default team, so no ticket is left where no agent can see it. A proactive ticket whose
    first message is a brief for the team (`public=False`) starts with an internal note.
    """
    ticket = Ticket.objects.create(
        subject=subject.strip()[:250],
        channel=channel,
        priority=priority,
        type=type,
        kind=kind,
        requester=requester,
        organization=requester.organization,
        team=team or _default_team(),
        assignee=assignee,
        external_ref=external_ref,
        source_integration=source_integration,
    )
    proactive = kind == TicketKind.PROACTIVE
    message = _message_create(
        ticket=ticket,
        direction=Direction.OUTBOUND if proactive else Direction.INBOUND,
        body=body,
        html_body=html_body,
        channel=channel,
        author_user=actor if proactive else None,
        author_customer=None if proactive else requester,
        external_id=external_id,
        attachments=attachments,
        withheld_parts=withheld_parts,
        public=public or not proactive,
    )
    tag_objects = _tag_objects(tags)
    if tag_objects:
        ticket.tags.add(*tag_objects)
    changes = _Changes(ticket, actor_user=actor, actor_customer=None if actor else requester)
    changes.record(
        EventKind.CREATED,
        after={
            "subject": ticket.subject,
            "status": ticket.status,
            "channel": ticket.channel,
            "priority": Priority(ticket.priority).label,
            "team": ticket.team_id,
            "message": message.pk,
            "tags": [t.name for t in tag_objects],
        },
    )
    changes.save()
    events.publish(
        events.TICKET_CREATED, ticket=ticket, message=message, customer=requester, actor=actor
    )
    return ticket


def _team_named(team_id: int | None, field: str = "team_id") -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError({field: [f"Team {team_id} does not exist."]})
    return team


@transaction.atomic
def ticket_open(
    *,
    actor,
    subject: str,
    requester_id: int | None = None,
    requester_identities: Iterable[IdentityInput] = (),
    requester_name: str = "",
    team_id: int | None = None,
    kind: str = TicketKind.REACTIVE,
    **fields: Any,
) -> Ticket:
    """ticket_create for an API caller (an agent, a manager or an integration) who names the
    requester and the team by id or identities.

    Only agents open proactive tickets. The requester is a customer the caller may see (by
    id), or the one the identities name (found, or created as the integration's); the team is
    the one named, else the default. Bad input raises ValidationError on its field.
    """
    if kind == TicketKind.PROACTIVE and not actor.is_agent:
        raise ValidationError({"kind": ["Only agents open proactive tickets."]})
    requester = customer_named_by(
        actor=actor,
        customer_id=requester_id,
        identities=requester_identities,
        name=requester_name,
        id_field="requester_id",
    )
    return ticket_create(
        requester=requester,
        subject=subject,
        kind=kind,
        team=_team_named(team_id),
        actor=actor,
        source_integration=actor if actor.is_integration else None,
        **fields,
    )


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _check_assignee(assignee, team: Team | None) -> None:
    if assignee is None:
        return
    if not assignee.is_agent:
        raise ValidationError({"assignee": ["Tickets can only be assigned to agents."]})
    if (
        team is not None
        and not assignee.is_manager
        and not team.members.filter(pk=assignee.pk).exists()
    ):
        raise ValidationError({"assignee": [f"{assignee.display_name} is not in team {team}."]})


def _apply_status(ticket: Ticket, target: str, changes: _Changes, kind: str) -> None:
    if target == ticket.status:
        return
    try:
        check_transition(ticket.status, target)
    except TransitionError as exc:
        raise ValidationError({"status": [str(exc)]}) from exc
    before = ticket.status
    ticket.status = target
    now = timezone.now()
    if target == Status.SOLVED:
        ticket.solved_at = now
    elif target == Status.CLOSED:
        ticket.closed_at = now
    elif before == Status.SOLVED:
        ticket.solved_at = None
    changes.record(kind, before={"status": before}, after={"status": target})


# One audited branch per field, in the order the audit trail records them (team before
# assignee: moving a ticket may unassign it); splitting it would scatter that order.
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
def ticket_reply(
    *,
    ticket: Ticket,
    author,
    body: str = "",
    html_body: str = "",
    public: bool = True,
    status: str | None = None,
    attachments: Iterable[AttachmentInput] = (),
    expected_version: int | None = None,
) -> Message:
    """An agent answers the customer (public) or writes an internal note (not public).

    A public reply is outbound on the ticket's channel, records the first reply time and
    moves a new ticket to open (or to `status`, e.g. "pending" to wait on the customer).
    """
    ticket = _locked(ticket)
    if expected_version is not None and expected_version != ticket.version:
        raise ConflictError(
            f"Ticket #{ticket.pk} changed since you loaded it; review before replying.",
            code="stale_version",
        )
    if ticket.status == Status.CLOSED:
        raise ConflictError("A closed ticket is final; open a new ticket instead.", code="closed")
    message = _message_create(
        ticket=ticket,
        direction=Direction.OUTBOUND,
        body=body,
        html_body=html_body,
        public=public,
        author_user=author,
        attachments=attachments,
    )
    changes = _Changes(ticket, actor_user=author)
    changes.record(
        EventKind.MESSAGE_ADDED,
        after={"message": message.pk, "public": public, "direction": Direction.OUTBOUND},
    )
    if public:
        if ticket.first_replied_at is None:
            ticket.first_replied_at = message.created_at
        _apply_status(
            ticket,
            status_after_agent_reply(ticket.status, status),
            changes,
            EventKind.STATUS_CHANGED,
        )
    elif status:
        _apply_status(ticket, status, changes, EventKind.STATUS_CHANGED)
    ticket.version += 1
    ticket.save()
    changes.save()
    events.publish(events.MESSAGE_CREATED, ticket=ticket, message=message, actor=author)
    changes.publish_update()
    return message


@transaction.atomic
def customer_message_add(
    *,
    ticket: Ticket,
    customer: Customer | None = None,
    body: str = "",
    html_body: str = "",
    channel: str | None = None,
    external_id: str = "",
    attachments: Iterable[AttachmentInput] = (),
    withheld_parts: Iterable[dict] = (),
) -> Message:
    """The customer wrote on an existing ticket (from any channel, or an integration).

    A pending or solved ticket becomes open again (a solved one records a reopen); a closed
    ticket refuses the message with ConflictError: the channel opens a new ticket instead.
    """
    ticket = _locked(ticket)
    customer = customer or ticket.requester
    try:
        target = _status_after_customer_message(ticket.status)
    except TransitionError as exc:
        raise ConflictError(str(exc), code="closed") from exc
    message = _message_create(
        ticket=ticket,
        direction=Direction.INBOUND,
        body=body,
        html_body=html_body,
        channel=channel,
        author_customer=customer,
        external_id=external_id,
        attachments=attachments,
        withheld_parts=withheld_parts,
    )
    changes = _Changes(ticket, actor_customer=customer)
    changes.record(
        EventKind.MESSAGE_ADDED,
        after={"message": message.pk, "public": True, "direction": Direction.INBOUND},
    )
    reopened = ticket.status == Status.SOLVED
    _apply_status(
        ticket, target, changes, EventKind.REOPENED if reopened else EventKind.STATUS_CHANGED
    )
    ticket.version += 1
    ticket.save()
    changes.save()
    events.publish(events.MESSAGE_CREATED, ticket=ticket, message=message, customer=customer)
    changes.publish_update(reopened=reopened)
    return message


def ticket_message_post(
    *,
    ticket: Ticket,
    author,
    body: str = "",
    html_body: str = "",
    public: bool = True,
    status: str | None = None,
    attachments: Iterable[AttachmentInput] = (),
    expected_version: int | None = None,
) -> Message:
    """A message from an API caller: an agent's reply or internal note (ticket_reply), or the
    customer's message an integration relays (customer_message_add). An integration writes
    neither internal notes nor status changes (PermissionDenied)."""
    if author.is_agent:
        return ticket_reply(
            ticket=ticket,
            author=author,
            body=body,
            html_body=html_body,
            public=public,
            status=status,
            attachments=attachments,
            expected_version=expected_version,
        )
    if not public or status is not None:
        raise PermissionDenied("Integrations add customer messages only.")
    return customer_message_add(
        ticket=ticket, body=body, html_body=html_body, attachments=attachments
    )


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
def system_message_add(
    *, ticket: Ticket, body: str, html_body: str = "", reason: str = "automatic"
) -> Message:
    """An automatic public message to the customer (no author), e.g. the reply naming the
    channels a tier serves. It goes out on the ticket's channel like any public outbound
    message, but it is nobody's reply: it neither fulfils SLA response clocks nor changes the
    ticket's status (subscribers can tell by `event.data["system"]`)."""
    ticket = _locked(ticket)
    message = _message_create(
        ticket=ticket, direction=Direction.OUTBOUND, body=body, html_body=html_body
    )
    changes = _Changes(ticket)
    changes.record(
        EventKind.MESSAGE_ADDED,
        after={
            "message": message.pk,
            "public": True,
            "direction": Direction.OUTBOUND,
            "system": reason,
        },
    )
    changes.save()
    events.publish(
        events.MESSAGE_CREATED,
        ticket=ticket,
        message=message,
        data={"system": True, "reason": reason},
    )
    return message


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
