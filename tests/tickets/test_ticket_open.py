"""ticket_open: what the API's create decides (proactive tickets, requester, team), in one
service, so a refused request leaves nothing behind even outside the API's transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import IdentityInput
from tests.conftest import assert_error
from tests.factories import TeamFactory, TicketFactory
from tickets import services
from tickets.models import Ticket, TicketKind

pytestmark = pytest.mark.django_db
NEW_CUSTOMER = [IdentityInput("email", "Kim.Lee+orders@Example.COM")]


def test_integration_asking_for_a_proactive_ticket_creates_no_customer(integration):
    with pytest.raises(ValidationError) as refused:
        services.ticket_open(
            actor=integration,
            subject="Checking in",
            requester_identities=NEW_CUSTOMER,
            kind=TicketKind.PROACTIVE,
        )
    assert "kind" in refused.value.message_dict
    assert not Customer.objects.exists()
    assert not Ticket.objects.exists()


def test_unknown_team_leaves_no_new_customer_behind(integration):
    with pytest.raises(ValidationError) as refused:
        services.ticket_open(
            actor=integration,
            subject="Parcel damaged",
            body="The box was crushed.",
            requester_identities=NEW_CUSTOMER,
            team_id=987654,
        )
    assert refused.value.message_dict == {"team_id": ["Team 987654 does not exist."]}
    assert not Customer.objects.exists()


def test_integration_opens_a_ticket_for_the_customer_its_identities_name(integration):
    team = TeamFactory(name="Returns")
    ticket = services.ticket_open(
        actor=integration,
        subject="Parcel damaged",
        body="The box was crushed.",
        requester_identities=NEW_CUSTOMER,
        requester_name="Kim Lee",
        team_id=team.pk,
    )
    assert ticket.requester.name == "Kim Lee"
    assert ticket.team == team
    assert ticket.source_integration == integration


def test_integration_refused_an_internal_note_is_told_why(integration_client, integration):
    ticket = TicketFactory(source_integration=integration)
    error = assert_error(
        integration_client.post(
            f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "x", "public": False}, format="json"
        ),
        403,
    )
    assert error["message"] == "Integrations add customer messages only."
