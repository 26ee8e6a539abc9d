"""Goodwill within limits, enforced by the service: granted at once within the author's
limit for the ticket's tier and currency, a request above it that a manager decides once;
each step on the audit trail and announced to webhook subscribers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import ConflictError
from goodwill import services
from goodwill.models import Gesture, GestureState
from outbox.models import OutboxMessage
from tests.factories import ManagerFactory
from tickets import services as ticket_services
from tickets.models import EventKind, TicketEvent
from webhooks.subscriptions import subscription_create

pytestmark = pytest.mark.django_db


def record(ticket, actor, amount, currency="EUR", kind="fee_waived"):
    return services.gesture_record(
        ticket=ticket, actor=actor, kind=kind, amount=amount, currency=currency, reason="Late"
    )


def test_within_the_any_tier_limit_is_granted_and_audited(agent, limits, standard_ticket):
    gesture = record(standard_ticket, agent, "20.00")
    assert gesture.state == GestureState.GRANTED
    assert gesture.limit_amount == Decimal("20")
    assert gesture.tier.name == "Standard"
    event = TicketEvent.objects.get(ticket=standard_ticket, kind=EventKind.GOODWILL_GRANTED)
    assert event.actor_user == agent
    assert event.after["amount"] == "20.00"
    assert event.after["currency"] == "EUR"


def test_above_the_limit_becomes_a_request(agent, limits, standard_ticket):
    gesture = record(standard_ticket, agent, "20.01")
    assert gesture.state == GestureState.PENDING
    assert TicketEvent.objects.filter(
        ticket=standard_ticket, kind=EventKind.GOODWILL_REQUESTED
    ).exists()


def test_the_tiers_own_limit_wins(agent, limits, enterprise_ticket):
    assert record(enterprise_ticket, agent, "100").state == GestureState.GRANTED
    assert record(enterprise_ticket, agent, "100.01").state == GestureState.PENDING


def test_no_limit_for_the_currency_means_an_agent_asks_a_manager(agent, limits, standard_ticket):
    assert record(standard_ticket, agent, "1", currency="USD").state == GestureState.PENDING


def test_a_manager_without_a_limit_grants(manager, limits, standard_ticket):
    assert record(standard_ticket, manager, "500").state == GestureState.GRANTED


def test_manager_approves_once_and_webhooks_hear_granted(
    agent, manager, limits, standard_ticket, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    subscription_create(
        name="Shop", url="https://127.0.0.1/hook", events=["goodwill.granted", "goodwill.requested"]
    )
    gesture = record(standard_ticket, agent, "45", kind="refund")
    decided = services.gesture_decide(gesture=gesture, actor=manager, approve=True, note="OK")
    assert decided.state == GestureState.GRANTED
    assert decided.decided_by == manager
    assert TicketEvent.objects.filter(
        ticket=standard_ticket, kind=EventKind.GOODWILL_APPROVED, actor_user=manager
    ).exists()
    deliveries = list(OutboxMessage.objects.filter(transport="webhook").order_by("id"))
    assert [d.payload["event"] for d in deliveries] == ["goodwill.requested", "goodwill.granted"]
    payload = deliveries[1].payload["body"]
    assert payload["data"]["gesture"]["amount"] == "45.00"
    assert payload["data"]["gesture"]["kind"] == "refund"
    assert payload["ticket"]["id"] == standard_ticket.pk
    with pytest.raises(ConflictError):
        services.gesture_decide(gesture=gesture, actor=manager, approve=False)


def test_decline_and_own_request_and_agents_cannot_decide(agent, manager, limits, standard_ticket):
    gesture = record(standard_ticket, agent, "45")
    with pytest.raises(PermissionDenied):
        services.gesture_decide(gesture=gesture, actor=agent, approve=True)
    own = record(standard_ticket, manager, "10", currency="USD")
    assert own.state == GestureState.GRANTED  # no manager limit: granted at once
    services.limit_save(role="manager", tier=None, currency="USD", max_amount="5")
    over = record(standard_ticket, manager, "10", currency="USD")
    assert over.state == GestureState.PENDING
    with pytest.raises(ConflictError):
        services.gesture_decide(gesture=over, actor=manager, approve=True)
    other = ManagerFactory()
    declined = services.gesture_decide(gesture=gesture, actor=other, approve=False)
    assert declined.state == GestureState.DECLINED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"kind": "cash"}, "kind"),
        ({"reason": "  "}, "reason"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    agent, limits, standard_ticket, changes, field
):
    args = {"kind": "discount", "amount": "5", "currency": "EUR", "reason": "Late", **changes}
    with pytest.raises(ValidationError) as exc:
        services.gesture_record(ticket=standard_ticket, actor=agent, **args)
    assert field in exc.value.error_dict
    assert not Gesture.objects.exists()


def test_closed_ticket_takes_no_goodwill(agent, limits, standard_ticket):
    ticket_services.ticket_update(ticket=standard_ticket, actor=agent, status="solved")
    ticket_services.ticket_update(ticket=standard_ticket, actor=agent, status="closed")
    with pytest.raises(ConflictError):
        record(standard_ticket, agent, "5")


def test_integrations_record_no_goodwill(integration, limits, standard_ticket):
    with pytest.raises(PermissionDenied):
        record(standard_ticket, integration, "5")


def test_one_limit_per_role_tier_and_currency(tiers):
    services.limit_save(role="agent", tier=None, currency="eur", max_amount="20")
    with pytest.raises(ValidationError):
        services.limit_save(role="agent", tier=None, currency="EUR", max_amount="30")
    services.limit_save(role="agent", tier=tiers[1], currency="EUR", max_amount="100")
