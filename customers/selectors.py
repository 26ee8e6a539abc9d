"""Which customers and organizations a caller may see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from .models import Customer, Organization


def customers_visible_to(user) -> QuerySet[Customer]:
    """Staff see every customer; an integration sees the customers it submitted and the
    requesters of tickets it created."""
    customers = Customer.objects.select_related("organization").prefetch_related("identities")
    if not user.is_authenticated:
        return customers.none()
    if user.is_agent:
        return customers
    if user.is_integration:
        from tickets.models import Ticket

        own_tickets = Ticket.objects.filter(requester=OuterRef("pk"), source_integration=user)
        return customers.filter(source_integration=user) | customers.filter(Exists(own_tickets))
    return customers.none()


def organizations_visible_to(user) -> QuerySet[Organization]:
    organizations = Organization.objects.select_related("tier").prefetch_related("domains")
    return organizations if user.is_authenticated and user.is_agent else organizations.none()
