"""Which deliveries, follow-ups and surveys a caller may see.

An integration sees the deliveries it reported (and the follow-ups they scheduled), with the
customer as far as it knows them (customers.selectors); never another integration's
deliveries, nor follow-ups and surveys as such (those are staff's), even for a customer both
integrations know.
"""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet

from customers.models import Customer
from customers.selectors import identities_visible_to

from .models import Delivery, FollowUp, Survey


def deliveries_visible_to(user) -> QuerySet[Delivery]:
    """Managers: every delivery; anyone else who may report deliveries: their own."""
    deliveries = Delivery.objects.select_related("customer").prefetch_related(
        Prefetch("customer__identities", queryset=identities_visible_to(user)),
        Prefetch("followup_set", FollowUp.objects.order_by("id")),
    )
    if not user.is_authenticated:
        return deliveries.none()
    if user.is_manager:
        return deliveries
    return deliveries.filter(source=user)


def followups_visible_to(user) -> QuerySet[FollowUp]:
    """Staff see every follow-up; integrations none (they see their deliveries' follow-ups
    through the delivery)."""
    followups = FollowUp.objects.select_related("customer", "outbox_message").prefetch_related(
        "customer__identities"
    )
    return followups if user.is_authenticated and user.is_agent else followups.none()


def surveys_visible_to(user) -> QuerySet[Survey]:
    """Survey answers are for managers."""
    surveys = Survey.objects.select_related("customer").prefetch_related("customer__identities")
    return surveys if user.is_authenticated and user.is_manager else surveys.none()


def customers_at_risk() -> QuerySet[Customer]:
    """Customers flagged at risk, annotated `flagged_at`, with their health and identities."""
    return (
        Customer.objects.filter(health__at_risk=True)
        .annotate(flagged_at=F("health__at_risk_since"))
        .select_related("health")
        .prefetch_related("identities")
    )
