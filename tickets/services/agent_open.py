"""An agent opens a ticket from the desk: on behalf of a customer (inbound: what the customer
said on the phone, in a shop, by a mail to the agent) or reaching out (proactive: the agent
writes first)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Customer, IdentityKind
from customers.services import IdentityInput, customer_resolve

from ..attachments import AttachmentInput, check_attachment_count
from ..channels import registry, routing
from ..models import ChannelKind, Priority, Team, Ticket, TicketKind
from .create import ticket_create

# The kinds an agent records or writes on; `api` is an integration's, never the desk's.
DESK_CHANNELS = tuple(kind for kind in ChannelKind.values if kind != ChannelKind.API)


def proactive_channel_allowed(kind: str) -> bool:
    """An agent writes first only on a kind that carries replies (not a call record)."""
    found = registry.find(kind)
    return found is not None and found.capabilities.replies and bool(found.reply_transport)


def _check_team(actor, team: Team | None) -> None:
    if team is None:
        raise ValidationError({"team": [_("Choose the team that works this ticket.")]})
    if not actor.is_manager and not team.members.filter(pk=actor.pk).exists():
        raise ValidationError({"team": [_("You can open tickets only in your own teams.")]})


def _requester(email: str, phone: str, name: str) -> Customer:
    """customer_resolve on the email and phone given (found, or created), its errors on the
    form's fields."""
    fields, identities = [], []
    for field, kind, value in (
        ("requester_email", IdentityKind.EMAIL, email),
        ("requester_phone", IdentityKind.PHONE, phone),
    ):
        if value.strip():
            fields.append(field)
            identities.append(IdentityInput(kind, value.strip()))
    if not identities:
        needed = _("Give the customer's email or phone number.")
        raise ValidationError({"requester_email": [needed]})
    try:
        return customer_resolve(identities=identities, name=name.strip())
    except ValidationError as exc:
        errors = {}
        for key, messages in exc.message_dict.items():
            index = key.split(".")[1] if key.startswith("identities.") else ""
            errors[fields[int(index)] if index.isdigit() else "requester_email"] = messages
        raise ValidationError(errors) from exc


def _check_reachable(customer: Customer, has_files: bool) -> None:
    route = routing.first_message_route(customer=customer)
    if route is None:
        raise ValidationError({"requester_email": [routing.unreachable_reason()]})
    if has_files and not route.carries_attachments:
        raise ValidationError({"attachments": [routing.attachments_refused_reason(route)]})


@transaction.atomic
def ticket_open_by_agent(
    *,
    actor,
    kind: str,
    channel: str,
    team: Team | None,
    subject: str,
    body: str,
    requester_email: str = "",
    requester_phone: str = "",
    requester_name: str = "",
    priority: int = Priority.NORMAL,
    attachments: Iterable[AttachmentInput] = (),
) -> Ticket:
    """Open a ticket from the desk through ticket_create (so SLA clocks start and the tier
    rule applies as for any ticket), the requester found by email or phone, or created.

    Agents open tickets only in their own teams (managers in any). Reactive: the first
    message is the customer's, as the agent recorded it, on `channel`. Proactive: the agent's
    public message, on a kind that carries replies and a route that reaches the customer
    (tickets.channels.routing), files only where the route carries attachments. Bad input is
    a ValidationError on the form's field, and nothing is written (not even the customer).
    """
    if not actor.is_agent:
        raise PermissionDenied("Only agents open tickets from the desk.")
    _check_team(actor, team)
    if channel not in DESK_CHANNELS:
        raise ValidationError({"channel": [_("Not a channel the desk opens tickets on.")]})
    proactive = kind == TicketKind.PROACTIVE
    if proactive and not proactive_channel_allowed(channel):
        raise ValidationError(
            {
                "channel": [
                    _("A message cannot go out on this channel: choose email, chat or social.")
                ]
            }
        )
    attachments = list(attachments)
    check_attachment_count(len(attachments))
    customer = _requester(requester_email, requester_phone, requester_name)
    if proactive:
        _check_reachable(customer, bool(attachments))
    return ticket_create(
        requester=customer,
        subject=subject,
        body=body,
        channel=channel,
        priority=priority,
        team=team,
        kind=TicketKind.PROACTIVE if proactive else TicketKind.REACTIVE,
        actor=actor,
        attachments=attachments,
    )
