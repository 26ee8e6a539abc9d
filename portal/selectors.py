"""What a signed-in customer sees: their tickets (their organization's, for its contact),
each with its public conversation only."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from customers.models import Customer
from success.models import Survey
from tickets.models import Attachment, Message, Ticket


def tickets_visible_to_customer(customer: Customer) -> QuerySet[Ticket]:
    """The one rule for the portal (its 404s follow from it): tickets the customer requested;
    for an organization's contact (`is_organization_contact`) every ticket of the
    organization. Only tickets with a public message: a proactive ticket that is still an
    internal brief for the team is not the customer's to read."""
    mine = Q(requester=customer)
    if customer.is_organization_contact and customer.organization_id is not None:
        mine |= Q(organization_id=customer.organization_id)
    public = Message.objects.filter(ticket=OuterRef("pk"), is_public=True)
    return (
        Ticket.objects.filter(mine)
        .filter(Exists(public))
        .select_related("requester")
        .order_by("-updated_at", "-id")
    )


def public_conversation(ticket: Ticket) -> QuerySet[Message]:
    """Oldest first, never an internal note."""
    return (
        ticket.messages.filter(is_public=True)
        .select_related("author_customer", "author_user")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def surveys_pending_for(customer: Customer) -> QuerySet[Survey]:
    """Surveys sent to the customer, not answered, not expired."""
    return (
        Survey.objects.filter(
            customer=customer,
            sent_at__isnull=False,
            answered_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("ticket")
        .order_by("-sent_at")
    )


def attachment_visible_to_customer(customer: Customer, pk: int) -> Attachment | None:
    """An attachment of a public message on one of the customer's tickets, else None."""
    return (
        Attachment.objects.filter(
            pk=pk,
            message__is_public=True,
            message__ticket__in=tickets_visible_to_customer(customer).values("pk"),
        )
        .select_related("message")
        .first()
    )
