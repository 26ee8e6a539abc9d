"""What the ticket operations share: the change record of one update, message creation,
tags, the default team, the row lock and the status and assignee checks."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from core import events, rows
from core.text import html_to_text, sanitize_html, text_to_html
from customers.models import Customer

from ..attachments import AttachmentInput, validate_attachment
from ..models import (
    Attachment,
    Message,
    Tag,
    Team,
    Ticket,
    TicketEvent,
)
from ..status import Status, TransitionError, check_transition


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
        rows.insert(self.events)

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
    """The tags of these names (slugified), created where missing, in name order (as reading
    them answers). One statement on a create's hot path; two if a concurrent transaction
    created one of them after this statement began (its row is then read by name)."""
    slugs = sorted({slugify(name, allow_unicode=True)[:50] for name in names} - {""})
    if not slugs:
        return []
    if connection.vendor != "postgresql":  # no arrays: the ORM's two statements
        Tag.objects.bulk_create([Tag(name=slug) for slug in slugs], ignore_conflicts=True)
        return list(Tag.objects.filter(name__in=slugs))
    table = rows.table(Tag)
    with connection.cursor() as cursor:
        cursor.execute(_TAGS_SQL.format(table=table, columns=rows.columns(Tag, "t")), [slugs])
        found = [rows.instance(Tag, row) for row in cursor.fetchall()]
    if len(found) < len(slugs):
        found = list(Tag.objects.filter(name__in=slugs))
    return found


# Inserted rows come from the INSERT's RETURNING, the others from the SELECT: in one
# statement the SELECT does not see what its own INSERT wrote. Only model names are
# formatted in (here and below); values are parameters.
_TAGS_SQL = (
    "WITH wanted AS (SELECT unnest(%s::text[]) AS name),"
    " added AS (INSERT INTO {table} (name) SELECT name FROM wanted"
    " ON CONFLICT (name) DO NOTHING RETURNING *)"
    " SELECT {columns} FROM added t"
    " UNION ALL SELECT {columns} FROM {table} t JOIN wanted USING (name)"
    " ORDER BY name"  # as Tag's Meta.ordering, in the database's collation
)


def _tag_links(ticket: Ticket, tags: list[Tag]) -> list[Model]:
    """The rows of ticket.tags.add(*tags) for a ticket not written yet, to write with it
    (rows.insert_with): nothing to look up or skip."""
    through = Ticket.tags.through
    return [through(ticket=ticket, tag=tag) for tag in tags]


# (loaded at, team): the default team, per process. A change in this process clears it at
# once (Team post_save/post_delete, tickets.handlers); other processes see it within
# DEFAULT_TEAM_CACHE_SECONDS.
_DEFAULT_TEAM: list[tuple[float, Team | None]] = []


def _hold_created_relations(ticket: Ticket, tags: list[Tag]) -> None:
    """A ticket just created: its tags are these and it was merged into nothing, so reading
    them (the API's response) costs no query. Prefetch caches, as Django's prefetch fills."""
    rows.hold_prefetched(ticket, "tags", tags)
    Ticket.merge.related.set_cached_value(ticket, None)


def _default_team() -> Team | None:
    now = time.monotonic()
    if _DEFAULT_TEAM and now - _DEFAULT_TEAM[0][0] < settings.DEFAULT_TEAM_CACHE_SECONDS:
        return _DEFAULT_TEAM[0][1]
    team = rows.first(Team, "m.is_default")
    _DEFAULT_TEAM[:] = [(now, team)]
    return team


def default_team_cache_clear(**_kwargs: Any) -> None:
    _DEFAULT_TEAM.clear()


def _message_create(**fields: Any) -> Message:
    """A message written now: `_message_build`'s fields, inserted, its attachments saved."""
    message, files = _message_build(**fields)
    rows.insert([message])  # Message.objects.create without the ORM's compiling; no signals
    _message_files_save(message, files)
    return message


def _message_build(
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
) -> tuple[Message, list[AttachmentInput]]:
    """The message, checked and unsaved, and its attachments, checked, to save once it is
    (`_message_files_save`)."""
    files = [validate_attachment(item) for item in attachments]
    body, html_body = _body_pair(body, html_body)
    withheld_parts = list(withheld_parts)
    if not body and not files:
        raise ValidationError({"body": ["A message needs a body or an attachment."]})
    message = Message(
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
    return message, files


def _message_files_save(message: Message, files: list[AttachmentInput]) -> None:
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


def _team_named(team_id: int | None, field: str = "team_id") -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError({field: [f"Team {team_id} does not exist."]})
    return team


def _locked(ticket: Ticket) -> Ticket:
    """The ticket's row, locked FOR UPDATE for the rest of the transaction; remembers what it
    read, so _save_changed writes only what the service changed."""
    locked = rows.first(Ticket, "m.id = %s", [ticket.pk], lock=True)
    if locked is None:
        raise Ticket.DoesNotExist(f"Ticket {ticket.pk} does not exist.")
    locked._as_read = _column_values(locked)
    return locked


def _column_values(ticket: Ticket) -> dict[str, Any]:
    return {f.attname: getattr(ticket, f.attname) for f in Ticket._meta.concrete_fields}


def _save_changed(ticket: Ticket) -> None:
    """ticket.save() for a ticket _locked read: one UPDATE of the columns changed since, and
    `updated_at`. Columns nobody changed are not written, so a trigger on one of them (the
    search document's on `subject`) does not fire for a reply."""
    read = ticket._as_read
    changed = {name: value for name, value in _column_values(ticket).items() if value != read[name]}
    rows.update(ticket, **{**changed, "updated_at": timezone.now()})


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
