"""Reads of goodwill: which limit applies, and which gestures a caller sees (those on the
tickets they see: tickets.selectors decides)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from slas.models import SlaTier
from tickets.selectors import tickets_visible_to

from .models import Gesture, GestureState, GoodwillLimit


def applicable_limit(*, role: str, tier: SlaTier | None, currency: str) -> Decimal | None:
    """The tier's own limit for the role and currency, else the any-tier one, else None."""
    tiers = Q(tier__isnull=True) | (Q(tier=tier) if tier is not None else Q())
    rows = dict(
        GoodwillLimit.objects.filter(tiers, role=role, currency=currency).values_list(
            "tier_id", "max_amount"
        )
    )
    if tier is not None and tier.pk in rows:
        return rows[tier.pk]
    return rows.get(None)


def gestures_visible_to(user) -> QuerySet[Gesture]:
    """Managers: every gesture; agents: those on tickets they see; nobody else any."""
    gestures = Gesture.objects.select_related(
        "ticket", "customer", "tier", "requested_by", "decided_by"
    )
    if not (user.is_authenticated and user.is_agent):
        return gestures.none()
    if user.is_manager:
        return gestures
    return gestures.filter(ticket__in=tickets_visible_to(user))


def ticket_gestures(ticket) -> QuerySet[Gesture]:
    return Gesture.objects.filter(ticket=ticket).select_related("requested_by", "decided_by")


def pending_requests() -> QuerySet[Gesture]:
    """What waits for a manager, oldest first."""
    return (
        Gesture.objects.filter(state=GestureState.PENDING)
        .select_related("ticket", "customer", "tier", "requested_by")
        .order_by("created_at", "id")
    )
