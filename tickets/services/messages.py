"""Messages on a ticket: agents' replies and notes, customers' messages, automatic answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core import events
from core.errors import ConflictError, UndeliverableError
from core.transactions import service_atomic
from customers.models import Customer

from ..attachments import AttachmentInput, check_attachment_count
from ..channels import routing
from ..models import (
    Direction,
    EventKind,
    Message,
    Ticket,
)
from ..status import Status, TransitionError, status_after_agent_reply
from ..status import status_after_customer_message as _status_after_customer_message
from .common import (
    _apply_status,
    _Changes,
    _check_assignee,
    _locked,
    _message_create,
    _save_changed,
)


def _may_hold(author, ticket: Ticket) -> bool:
    try:
        _check_assignee(author, ticket.team)
    except ValidationError:
        return False
    return True


def _check_route(ticket: Ticket, *, has_files: bool, record_unsent: bool) -> routing.Route | None:
    """A public reply needs a route (else UndeliverableError, unless recorded unsent), and
    files only go on a route that carries attachments (else ValidationError on them)."""
    route = routing.reply_route(ticket)
    if route is None:
        if not record_unsent:
            raise UndeliverableError(routing.undeliverable_reason(ticket))
        return None
    if has_files and not route.carries_attachments:
        raise ValidationError({"attachments": [routing.attachments_refused_reason(route)]})
    return route


def _reply_text(
    route: routing.Route | None, *, body: str, template: str, record_unsent: bool, files: bool
) -> tuple[str, dict]:
    """The reply's text and its event data: a named template gives both (the text the
    customer reads, no files with it); free text past the route's reply window is refused
    (422 `reply_window_closed`) unless recorded unsent."""
    if template and files:
        raise ValidationError({"attachments": ["A template message carries no files."]})
    if template:
        text, spec = routing.template_message(route, template, body)
        return text, {"template": spec}
    if route is not None and route.window_closed and not record_unsent:
        raise UndeliverableError(routing.window_closed_reason(route), code="reply_window_closed")
    return body, {}


def _message_added(changes: _Changes, message: Message, **extra) -> None:
    """The audit line of a new message (who wrote it is the _Changes' actor)."""
    changes.record(
        EventKind.MESSAGE_ADDED,
        after={
            "message": message.pk,
            "public": message.is_public,
            "direction": message.direction,
            **extra,
        },
    )


def _save_and_announce(
    ticket: Ticket, changes: _Changes, message: Message, *, by: dict, update: dict | None = None
) -> None:
    """The end of every message that changes the ticket: a new version, the audit trail, then
    message.created (`by`: its actor or customer) and ticket.updated (with `update`'s data)."""
    ticket.version += 1
    _save_changed(ticket)
    changes.save()
    events.publish(events.MESSAGE_CREATED, ticket=ticket, message=message, **by)
    changes.publish_update(**(update or {}))


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
    claim: bool = False,
    record_unsent: bool = False,
    template: str = "",
) -> Message:
    """An agent answers the customer (public) or writes an internal note (not public).

    A public reply goes out on the route tickets.channels.routing chooses, records the first
    reply time and moves a new ticket to open (or to `status`, e.g. "pending" to wait on the
    customer). When nothing can carry it, UndeliverableError and nothing is written, unless
    `record_unsent`: then it is stored with an undeliverable delivery. Files on a public reply
    need a route that carries attachments (ValidationError on `attachments` otherwise), and an
    agent's message carries at most ATTACHMENT_MAX_COUNT of them. With `claim`, a public
    reply to an unassigned ticket also assigns it to its author when they may hold it (an
    agent of its team, or a manager), audited as an assignment. On a route with a reply
    window (WhatsApp: 24 h after the customer's last message), free text past it is refused
    (UndeliverableError `reply_window_closed`, nothing written) and `template` (a key of the
    route's templates) sends that template instead, its text recorded as the message.
    """
    ticket = _locked(ticket)
    if expected_version is not None and expected_version != ticket.version:
        raise ConflictError(
            f"Ticket #{ticket.pk} changed since you loaded it; review before replying.",
            code="stale_version",
        )
    if ticket.status == Status.CLOSED:
        raise ConflictError("A closed ticket is final; open a new ticket instead.", code="closed")
    attachments = list(attachments)
    check_attachment_count(len(attachments))
    data: dict = {}
    if public:
        route = _check_route(ticket, has_files=bool(attachments), record_unsent=record_unsent)
        body, data = _reply_text(
            route,
            body=body,
            template=template,
            record_unsent=record_unsent,
            files=bool(attachments),
        )
    elif template:
        raise ValidationError({"template": ["A template is a public reply, not a note."]})
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
    _message_added(changes, message)
    if public:
        if claim and ticket.assignee_id is None and _may_hold(author, ticket):
            changes.record(EventKind.ASSIGNED, {"assignee": None}, {"assignee": author.pk})
            ticket.assignee = author
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
    _save_and_announce(ticket, changes, message, by={"actor": author, "data": data})
    return message


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

    The refusal is raised once the service's atomic block has ended, having written nothing
    (it only read and locked the ticket): so a caller may go on after it (the intake opens
    a new ticket) even where the service joined its transaction without a savepoint
    (core.transactions), and a reply pays no SAVEPOINT and RELEASE round trips."""
    added = _customer_message_add(
        ticket,
        customer,
        body=body,
        html_body=html_body,
        channel=channel,
        external_id=external_id,
        attachments=attachments,
        withheld_parts=withheld_parts,
    )
    if isinstance(added, TransitionError):
        raise ConflictError(str(added), code="closed") from added
    return added


@service_atomic
def _customer_message_add(
    ticket: Ticket, customer: Customer | None, **content: Any
) -> Message | TransitionError:
    """customer_message_add's work; a closed ticket's refusal returned, not raised."""
    ticket = _locked(ticket)
    customer = customer or ticket.requester
    try:
        target = _status_after_customer_message(ticket.status)
    except TransitionError as refused:
        return refused
    message = _message_create(
        ticket=ticket, direction=Direction.INBOUND, author_customer=customer, **content
    )
    changes = _Changes(ticket, actor_customer=customer)
    _message_added(changes, message)
    reopened = ticket.status == Status.SOLVED
    _apply_status(
        ticket, target, changes, EventKind.REOPENED if reopened else EventKind.STATUS_CHANGED
    )
    _save_and_announce(
        ticket, changes, message, by={"customer": customer}, update={"reopened": reopened}
    )
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
    record_unsent: bool = False,
    template: str = "",
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
            record_unsent=record_unsent,
            template=template,
        )
    if not public or status is not None or template:
        raise PermissionDenied("Integrations add customer messages only.")
    return customer_message_add(
        ticket=ticket, body=body, html_body=html_body, attachments=attachments
    )


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
    _message_added(changes, message, system=reason)
    changes.save()
    events.publish(
        events.MESSAGE_CREATED,
        ticket=ticket,
        message=message,
        data={"system": True, "reason": reason},
    )
    return message
