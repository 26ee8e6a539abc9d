"""Opening tickets: from a channel, an integration or an agent (ticket_open decides who may
open what and resolves requester and team)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from core import events, rows
from core.errors import UndeliverableError
from core.transactions import service_atomic
from customers.models import Customer
from customers.services import IdentityInput, customer_named_by

from ..attachments import AttachmentInput
from ..channels import routing
from ..models import (
    ChannelKind,
    ChannelThread,
    Direction,
    EventKind,
    Priority,
    Team,
    Ticket,
    TicketKind,
    TicketType,
)
from .common import (
    _Changes,
    _default_team,
    _hold_created_relations,
    _message_build,
    _message_files_save,
    _tag_links,
    _tag_objects,
    _team_named,
)


@service_atomic
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
    thread: ChannelThread | None = None,
) -> Ticket:
    """Open a ticket with its first message.

    `thread` (unsaved: channel, key, last_message_at) is the conversation or Message-ID the
    ticket came on: written with the ticket, before ticket.created is published, so its
    subscribers (the outside-plan answer) can already reply on the conversation. A key
    already open on the channel is an IntegrityError: the caller's transaction fails.

    A reactive ticket starts with the customer's inbound message; a proactive one (we reach
    out) starts with the agent's outbound message. The team is the one given, else the
    default team, so no ticket is left where no agent can see it. A proactive ticket whose
    first message is a brief for the team (`public=False`) starts with an internal note.
    The returned ticket carries that message as `first_message`.
    """
    ticket = Ticket(
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
    ticket.created_at = ticket.updated_at = timezone.now()
    # ticket.opening's subscribers may add rows keyed to the ticket (its SLA clocks), unsaved:
    # written with it, in its statement.
    ticket.written_with = []
    events.publish(events.TICKET_OPENING, ticket=ticket, customer=requester, actor=actor)
    proactive = kind == TicketKind.PROACTIVE
    message, files = _message_build(
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
    changes = _Changes(ticket, actor_user=actor, actor_customer=None if actor else requester)
    changes.record(
        EventKind.CREATED,
        after={
            "subject": ticket.subject,
            "status": ticket.status,
            "channel": ticket.channel,
            "priority": Priority(ticket.priority).label,
            "team": ticket.team_id,
            "tags": [t.name for t in tag_objects],
        },
    )
    (created,) = changes.events
    # Ticket.objects.create, with what the opening set, its first message, its thread, its
    # tags, the opening's rows and its audit event (which names the message): one statement,
    # without the ORM's compiling; no signals.
    children = [message, *([thread] if thread is not None else []), *ticket.written_with]
    children += [*_tag_links(ticket, tag_objects), created]
    rows.insert_with(
        ticket,
        children,
        preset=("created_at", "updated_at"),
        ids_in_json=[rows.IdInJson(created, "after", "message", message)],
    )
    _message_files_save(message, files)
    with events.recorded() as published:
        events.publish(
            events.TICKET_CREATED, ticket=ticket, message=message, customer=requester, actor=actor
        )
    # Whether `ticket` is still what the row holds: subscribers that changed the ticket (a
    # trigger, routing, an automatic answer) publish events of their own, and SLA fields are
    # set on this very object (ticket_sla_fields_set). The API answers from it if so.
    ticket.as_written = len(published) == 1 and not events.held_back()
    _hold_created_relations(ticket, tag_objects)
    ticket.first_message = message  # in hand for the caller (a channel's Outcome): no re-read
    return ticket


@service_atomic
def ticket_open(
    *,
    actor,
    subject: str,
    requester_id: int | None = None,
    requester_identities: Iterable[IdentityInput] = (),
    requester_name: str = "",
    team_id: int | None = None,
    kind: str = TicketKind.REACTIVE,
    record_unsent: bool = False,
    **fields: Any,
) -> Ticket:
    """ticket_create for an API caller (an agent, a manager or an integration) who names the
    requester and the team by id or identities.

    Only agents open proactive tickets. The requester is a customer the caller may see (by
    id), or the one the identities name (found, or created as the integration's); the team is
    the one named, else the default. Bad input raises ValidationError on its field. A
    proactive ticket whose public first message nothing can carry raises UndeliverableError
    and writes nothing (not even the customer), unless `record_unsent`: then its message is
    recorded undeliverable.
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
    reaching_out = kind == TicketKind.PROACTIVE and not record_unsent
    if reaching_out and routing.first_message_route(customer=requester) is None:
        raise UndeliverableError(routing.unreachable_reason())
    return ticket_create(
        requester=requester,
        subject=subject,
        kind=kind,
        team=_team_named(team_id),
        actor=actor,
        source_integration=actor if actor.is_integration else None,
        **fields,
    )
