"""Who gets the outside-plan treatment (slas/hybrid.py): customers' tickets on a channel their
tier does not list; never proactive tickets (we reached out), never `api` tickets (no
customer picked that door), and an integration that names the customer's channel gets that
channel's rule."""

from __future__ import annotations

import pytest

from slas.hybrid import OUTSIDE_PLAN_REASON
from tests.factories import (
    CustomerFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TierFactory,
    UserFactory,
)
from tickets import services as ticket_services
from tickets.channels.config import channel_save
from tickets.channels.models import Channel
from tickets.models import ChannelKind, Message, Ticket, TicketKind
from tickets.selectors import system_message_sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def standard_customer(db):
    """On the Standard tier of the demo: email and chat."""
    tier = TierFactory(name="Standard", policy=PolicyFactory(), channels=["email", "chat"])
    return CustomerFactory(organization=OrganizationFactory(tier=tier), email="kim@example.com")


def automatic_answers(ticket: Ticket):
    return Message.objects.filter(ticket=ticket, direction="outbound", author_user__isnull=True)


def test_a_customer_s_ticket_on_an_unlisted_channel_is_outside_the_plan(standard_customer):
    ticket = ticket_services.ticket_create(
        requester=standard_customer, subject="Call", body="x", channel=ChannelKind.PHONE
    )
    ticket.refresh_from_db()
    assert ticket.outside_plan is True
    assert automatic_answers(ticket).count() == 1


def test_a_proactive_outreach_ticket_never_gets_the_outside_plan_treatment(standard_customer):
    """As success.services opens an at-risk outreach: proactive, on the phone channel."""
    agent = UserFactory(teams=[TeamFactory(is_default=True)])
    ticket = ticket_services.ticket_create(
        requester=standard_customer,
        subject="Reach out: at risk",
        body="Call Kim about the two late parcels.",
        channel=ChannelKind.PHONE,
        kind=TicketKind.PROACTIVE,
        public=False,
        actor=agent,
    )
    ticket.refresh_from_db()
    assert ticket.outside_plan is False
    assert not ticket.messages.filter(is_public=True).exists()
    assert not ticket.events.filter(kind="sla.outside_plan").exists()


def test_an_api_ticket_is_served_by_a_tier_that_lists_other_channels(standard_customer):
    ticket = ticket_services.ticket_create(
        requester=standard_customer, subject="Order", body="x", channel=ChannelKind.API
    )
    ticket.refresh_from_db()
    assert ticket.outside_plan is False
    assert not automatic_answers(ticket).exists()


BODY = {"subject": "Parcel damaged", "body": "Crushed.", "requester": {"email": "kim@example.com"}}


def test_an_integration_s_ticket_defaults_to_the_api_channel_and_is_inside_the_plan(
    integration_client, standard_customer, team
):
    response = integration_client.post("/api/v1/tickets/", BODY, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "api"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.outside_plan) == ("api", False)


def test_an_integration_naming_the_customer_s_channel_gets_that_channel_s_rule(
    integration_client, standard_customer, team
):
    response = integration_client.post(
        "/api/v1/tickets/", {**BODY, "channel": "phone"}, format="json"
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.outside_plan) == ("phone", True)
    assert automatic_answers(ticket).count() == 1
    assert system_message_sent(ticket, reason=OUTSIDE_PLAN_REASON)


def test_an_integration_naming_a_configured_channel_gets_its_kind_and_team(
    integration_client, standard_customer, team
):
    billing = TeamFactory(name="Billing")
    line = channel_save(
        channel=Channel(),
        kind="phone",
        name="Billing line",
        settings={"number": "+44 20 7946 0000"},
        default_team=billing,
    )
    response = integration_client.post(
        "/api/v1/tickets/", {**BODY, "channel": line.name}, format="json"
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.team) == ("phone", billing)


def test_an_unknown_channel_is_a_400_and_nothing_is_written(
    integration_client, standard_customer, team
):
    response = integration_client.post(
        "/api/v1/tickets/", {**BODY, "channel": "pigeon"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert [f["field"] for f in error["fields"]] == ["channel"], error
    assert not Ticket.objects.exists()
