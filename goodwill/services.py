"""Goodwill: the only code that records gestures, decides requests and sets limits.

The limit is enforced here, never by a page: a gesture within the limit that applies to its
author (their role, the ticket's tier, the currency) is granted at once; above it, it waits
as a request that a manager approves or declines. Every step is one audit event on the ticket
and one domain event (goodwill.granted, goodwill.requested, goodwill.declined), which webhook
subscribers (the shop that applies the gesture) receive, in the same transaction.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import events
from core.errors import ConflictError
from slas.models import SlaTier
from slas.selectors import tier_for
from tickets import services as ticket_services
from tickets.models import EventKind, Ticket
from tickets.status import Status

from .currencies import is_currency
from .models import Gesture, GestureKind, GestureState, GoodwillLimit, LimitRole
from .selectors import applicable_limit

MAX_AMOUNT = Decimal("9999999999.99")


def _clean_amount(amount, errors: dict, name: str = "amount") -> Decimal | None:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError, TypeError):
        errors[name] = ["A number, e.g. 12.50."]
        return None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        errors[name] = ["A number with at most two decimals."]
        return None
    return value.quantize(Decimal("0.01"))


def _clean_currency(currency: str, errors: dict) -> str:
    code = (currency or "").strip().upper()
    if not is_currency(code):
        errors["currency"] = ["An ISO 4217 currency code, e.g. EUR."]
    return code


def role_of(user) -> str:
    return LimitRole.MANAGER if user.is_manager else LimitRole.AGENT


def within_limit(*, user, amount: Decimal, limit: Decimal | None) -> bool:
    """A manager without a limit row for the currency is not limited; an agent without one
    may grant nothing on their own (every gesture waits for a manager)."""
    if limit is None:
        return user.is_manager
    return amount <= limit


def _data(gesture: Gesture) -> dict:
    return {
        "gesture": {
            "id": gesture.pk,
            "kind": gesture.kind,
            "amount": str(gesture.amount),
            "currency": gesture.currency,
            "reason": gesture.reason,
            "state": gesture.state,
            "tier_id": gesture.tier_id,
            "requested_by": gesture.requested_by_id,
            "decided_by": gesture.decided_by_id,
        }
    }


def _audit(gesture: Gesture) -> dict:
    """What the ticket's audit trail keeps: which gesture, what, how much, why."""
    after = {
        "gesture": gesture.pk,
        "kind": gesture.kind,
        "amount": str(gesture.amount),
        "currency": gesture.currency,
        "reason": gesture.reason,
    }
    if gesture.decision_note:
        after["note"] = gesture.decision_note
    return after


def _announce(gesture: Gesture, *, audit_kind: str, event_type: str, actor) -> None:
    data = _data(gesture)
    ticket_services.audit_record(
        ticket=gesture.ticket, kind=audit_kind, after=_audit(gesture), actor_user=actor
    )
    events.publish(
        event_type, ticket=gesture.ticket, customer=gesture.customer, actor=actor, data=data
    )


@transaction.atomic
def gesture_record(
    *, ticket: Ticket, actor, kind: str, amount, currency: str, reason: str
) -> Gesture:
    """Record a gesture on `ticket` by an agent or manager: granted within the author's
    limit (goodwill.granted), else a request for a manager (goodwill.requested). Bad input is
    a ValidationError naming each field; a closed ticket a ConflictError. Nothing is written
    unless the whole gesture is valid."""
    if not actor.is_agent:
        raise PermissionDenied("Only agents and managers record goodwill.")
    errors: dict[str, list[str]] = {}
    if kind not in GestureKind.values:
        errors["kind"] = [f"One of: {', '.join(GestureKind.values)}."]
    value = _clean_amount(amount, errors)
    if value is not None and not Decimal("0") < value <= MAX_AMOUNT:
        errors["amount"] = [f"More than 0 and at most {MAX_AMOUNT}."]
    code = _clean_currency(currency, errors)
    if not (reason or "").strip():
        errors["reason"] = ["Say why (the customer's situation, what went wrong)."]
    if errors:
        raise ValidationError(errors)
    # The stored status, under the row lock (a colleague may have closed it meanwhile).
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester__tier", "organization__tier")
        .get(pk=ticket.pk)
    )
    if ticket.status == Status.CLOSED:
        raise ConflictError("A closed ticket is final: record goodwill on a new one.", "closed")
    tier = tier_for(ticket)
    limit = applicable_limit(role=role_of(actor), tier=tier, currency=code)
    granted = within_limit(user=actor, amount=value, limit=limit)
    gesture = Gesture.objects.create(
        ticket=ticket,
        customer=ticket.requester,
        tier=tier,
        kind=kind,
        amount=value,
        currency=code,
        reason=reason.strip(),
        state=GestureState.GRANTED if granted else GestureState.PENDING,
        limit_amount=limit,
        requested_by=actor,
    )
    if granted:
        _announce(
            gesture,
            audit_kind=EventKind.GOODWILL_GRANTED,
            event_type=events.GOODWILL_GRANTED,
            actor=actor,
        )
    else:
        _announce(
            gesture,
            audit_kind=EventKind.GOODWILL_REQUESTED,
            event_type=events.GOODWILL_REQUESTED,
            actor=actor,
        )
    return gesture


@transaction.atomic
def gesture_decide(*, gesture: Gesture, actor, approve: bool, note: str = "") -> Gesture:
    """A manager approves (goodwill.granted) or declines (goodwill.declined) a waiting
    request, once: a decided request is a ConflictError, and so is deciding one's own."""
    if not actor.is_manager:
        raise PermissionDenied("Only managers decide goodwill requests.")
    gesture = (
        Gesture.objects.select_for_update(of=("self",))
        .select_related("ticket", "customer")
        .get(pk=gesture.pk)
    )
    if gesture.state != GestureState.PENDING:
        raise ConflictError(f"This request was already {gesture.state}.", "already_decided")
    if gesture.requested_by_id == actor.pk:
        raise ConflictError("Another manager decides your own request.", "own_request")
    gesture.state = GestureState.GRANTED if approve else GestureState.DECLINED
    gesture.decided_by = actor
    gesture.decided_at = timezone.now()
    gesture.decision_note = (note or "").strip()
    gesture.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    if approve:
        _announce(
            gesture,
            audit_kind=EventKind.GOODWILL_APPROVED,
            event_type=events.GOODWILL_GRANTED,
            actor=actor,
        )
    else:
        _announce(
            gesture,
            audit_kind=EventKind.GOODWILL_DECLINED,
            event_type=events.GOODWILL_DECLINED,
            actor=actor,
        )
    return gesture


@transaction.atomic
def limit_save(
    *,
    limit: GoodwillLimit | None = None,
    role: str,
    tier: SlaTier | None,
    currency: str,
    max_amount,
) -> GoodwillLimit:
    """Create or change a limit; one per role, tier (or any tier) and currency."""
    errors: dict[str, list[str]] = {}
    if role not in LimitRole.values:
        errors["role"] = [f"One of: {', '.join(LimitRole.values)}."]
    value = _clean_amount(max_amount, errors, "max_amount")
    if value is not None and not Decimal("0") <= value <= MAX_AMOUNT:
        errors["max_amount"] = [f"From 0 to {MAX_AMOUNT}."]
    code = _clean_currency(currency, errors)
    clash = GoodwillLimit.objects.filter(role=role, tier=tier, currency=code)
    if limit is not None and limit.pk:
        clash = clash.exclude(pk=limit.pk)
    if not errors and clash.exists():
        errors["currency"] = ["A limit for this role, tier and currency exists: change it."]
    if errors:
        raise ValidationError(errors)
    limit = limit or GoodwillLimit()
    limit.role, limit.tier, limit.currency, limit.max_amount = role, tier, code, value
    limit.save()
    return limit
