"""Which customers, identities and organizations a caller may see.

The same person is one customer whoever submitted them, but an integration reads the customer
only as far as it knows it: the identities it submitted itself (IdentitySubmission), never
those an agent, a channel or another integration added.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import Customer, CustomerIdentity, IdentitySubmission, Organization


def identities_visible_to(user) -> QuerySet[CustomerIdentity]:
    """Staff see every identity; an integration the identities it submitted."""
    identities = CustomerIdentity.objects.order_by("id")
    if not user.is_authenticated:
        return identities.none()
    if user.is_agent:
        return identities
    if user.is_integration:
        return identities.filter(
            Exists(IdentitySubmission.objects.filter(identity=OuterRef("pk"), integration=user))
        )
    return identities.none()


def customers_visible_to(user) -> QuerySet[Customer]:
    """Staff see every customer. An integration sees the customers it created, those it
    submitted an identity of (e.g. a ticket by email for a person another integration already
    knows) and the requesters of its tickets; each with only the identities it submitted
    (the prefetched `identities`, which the serializers read)."""
    customers = Customer.objects.select_related("organization").prefetch_related(
        Prefetch("identities", queryset=identities_visible_to(user))
    )
    if not user.is_authenticated:
        return customers.none()
    if user.is_agent:
        return customers
    if user.is_integration:
        submitted = IdentitySubmission.objects.filter(
            identity__customer=OuterRef("pk"), integration=user
        )
        # The requester of one of its tickets, through the tickets' reverse relation
        # (customers sit below tickets and do not import it).
        own_tickets = Customer.objects.filter(pk=OuterRef("pk"), tickets__source_integration=user)
        return customers.filter(
            Q(source_integration=user) | Exists(submitted) | Exists(own_tickets)
        )
    return customers.none()


def organizations_visible_to(user) -> QuerySet[Organization]:
    organizations = Organization.objects.select_related("tier").prefetch_related("domains")
    return organizations if user.is_authenticated and user.is_agent else organizations.none()
