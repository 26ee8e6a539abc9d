from __future__ import annotations

import pytest

from customers.models import Customer, CustomerIdentity
from tests.conftest import assert_error
from tests.factories import (
    CustomerFactory,
    OrganizationFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Direction, EventKind, Priority, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"


def create(client, **overrides):
    body = {
        "subject": "Parcel damaged",
        "body": "The box was crushed.",
        "requester": {"email": "Kim@Example.com", "name": "Kim"},
    }
    body.update(overrides)
    return client.post(URL, body, format="json")


# --- create -----------------------------------------------------------------------------------


def test_integration_creates_ticket_with_new_customer_and_first_message(
    integration_client, team, integration
):
    response = create(
        integration_client,
        priority="high",
        tags=["Shipping", "damage"],
        external_ref="order-1001",
        channel="web",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "new"
    assert data["priority"] == "high"
    assert data["team"] == {"id": team.pk, "name": "Support"}  # the default team
    assert sorted(data["tags"]) == ["damage", "shipping"]
    assert data["requester"]["email"] == "kim@example.com"
    ticket = Ticket.objects.get(pk=data["id"])
    assert ticket.source_integration == integration
    message = ticket.messages.get()
    assert message.direction == Direction.INBOUND
    assert message.author_customer == ticket.requester
    assert message.body_html == "<p>The box was crushed.</p>"
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CREATED).count() == 1


def test_second_ticket_for_same_email_reuses_customer(integration_client):
    create(integration_client)
    create(integration_client, requester={"email": "KIM@example.com"})
    assert Customer.objects.count() == 1
    assert Ticket.objects.count() == 2


def test_customer_found_by_phone_gets_email_added(integration_client):
    customer = CustomerFactory(email="")
    CustomerIdentity.objects.create(customer=customer, kind="phone", value="+442079460958")
    response = create(
        integration_client, requester={"phone": "+44 20 7946 0958", "email": "pat@example.com"}
    )
    assert response.json()["requester"]["id"] == customer.pk
    assert set(customer.identities.values_list("value", flat=True)) == {
        "+442079460958",
        "pat@example.com",
    }


def test_customer_email_domain_places_ticket_in_organization(integration_client):
    acme = OrganizationFactory(name="Acme", domains=["acme.example"])
    response = create(integration_client, requester={"email": "wile@acme.example"})
    assert response.json()["organization"] == {"id": acme.pk, "name": "Acme"}


def test_html_body_is_sanitized_and_text_derived(integration_client):
    response = create(
        integration_client,
        body="",
        html_body='<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>',
    )
    message = Ticket.objects.get(pk=response.json()["id"]).messages.get()
    assert "script" not in message.body_html
    assert "onclick" not in message.body_html
    assert "<b>there</b>" in message.body_html
    assert "Hi" in message.body_text
    assert "there" in message.body_text


def test_agent_creates_ticket_for_existing_customer_by_id(agent_client, agent):
    customer = CustomerFactory()
    response = create(agent_client, requester=None, requester_id=customer.pk)
    assert response.status_code == 400  # requester: null is still "given"
    body = {
        "subject": "Call log",
        "body": "Customer called.",
        "requester_id": customer.pk,
        "channel": "phone",
    }
    response = agent_client.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["requester"]["id"] == customer.pk
    assert Ticket.objects.get().channel == "phone"


def test_agent_opens_proactive_ticket_with_outbound_first_message(agent_client, agent):
    customer = CustomerFactory()
    response = agent_client.post(
        URL,
        {
            "subject": "How is it going?",
            "body": "Checking in.",
            "requester_id": customer.pk,
            "kind": "proactive",
        },
        format="json",
    )
    assert response.status_code == 201
    message = Ticket.objects.get().messages.get()
    assert message.direction == Direction.OUTBOUND
    assert message.author_user == agent


def test_proactive_ticket_nothing_can_carry_is_422_and_writes_nothing(agent_client):
    body = {
        "subject": "Your parcel",
        "body": "It is delayed by a day.",
        "requester": {"phone": "+371 2000 0001", "name": "Only A Phone"},
        "kind": "proactive",
    }
    error = assert_error(agent_client.post(URL, body, format="json"), 422, code="undeliverable")
    assert "Nothing can reach this customer" in error["message"]
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0  # not even the customer the identities named

    # Recorded unsent on purpose: the ticket exists, its first message says it never left.
    response = agent_client.post(URL, {**body, "record_unsent": True}, format="json")
    assert response.status_code == 201, response.content
    message = Ticket.objects.get().messages.get()
    assert (message.direction, message.delivery.state) == (Direction.OUTBOUND, "undeliverable")


def test_integration_cannot_open_proactive_ticket(integration_client):
    assert_error(create(integration_client, kind="proactive"), 400, field="kind")
    assert Ticket.objects.count() == 0


def test_integration_cannot_use_customer_of_another_integration(
    integration_client, other_integration
):
    theirs = CustomerFactory(source_integration=other_integration)
    response = integration_client.post(
        URL, {"subject": "x", "body": "y", "requester_id": theirs.pk}, format="json"
    )
    assert_error(response, 400, field="requester_id")
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"body": "", "html_body": ""}, "body"),
        ({"channel": "fax"}, "channel"),
        ({"priority": 3}, "priority"),
        ({"team_id": 999999}, "team_id"),
        ({"requester": {"name": "nobody"}}, "requester"),
        ({"requester": {"phone": "12"}}, "requester.phone"),
        ({"requester": {"handle": "@kim"}}, "requester.platform"),
        ({"requester_id": 999999, "requester": None}, "requester"),
        ({"tags": "not-a-list"}, "tags"),
    ],
)
def test_bad_ticket_input_is_400_naming_the_field_and_writes_nothing(
    integration_client, overrides, field
):
    overrides = {k: v for k, v in overrides.items()}
    response = create(integration_client, **overrides)
    error = assert_error(response, 400, "invalid")
    assert any(
        f["field"] == field or (f["field"] or "").startswith(field) for f in error["fields"]
    ), error
    assert Ticket.objects.count() == 0
    assert Customer.objects.count() == 0


def test_anonymous_cannot_create(anon_client):
    assert_error(create(anon_client), 401)
    assert Ticket.objects.count() == 0


def test_ticket_create_costs_a_bounded_number_of_queries(
    integration_client, django_assert_max_num_queries, team
):
    create(integration_client)  # warm: customer exists, tags exist
    with django_assert_max_num_queries(24):
        response = create(
            integration_client, tags=["a", "b"], requester={"email": "kim@example.com"}
        )
    assert response.status_code == 201


# --- read -------------------------------------------------------------------------------------


def test_agent_sees_own_team_and_assigned_tickets_only(agent_client, agent, team, other_team):
    mine = TicketFactory(team=team)
    assigned = TicketFactory(team=other_team, assignee=agent)
    TicketFactory(team=other_team)
    ids = {t["id"] for t in agent_client.get(URL).json()["results"]}
    assert ids == {mine.pk, assigned.pk}


def test_agent_of_another_team_gets_404_not_the_ticket(other_agent_client, team):
    ticket = TicketFactory(team=team)
    assert_error(other_agent_client.get(f"{URL}{ticket.pk}/"), 404)
    assert_error(other_agent_client.get(f"{URL}{ticket.pk}/messages/"), 404)


def test_manager_sees_every_ticket(manager_client, team, other_team):
    TicketFactory(team=team)
    TicketFactory(team=other_team)
    TicketFactory(team=None)
    assert len(manager_client.get(URL).json()["results"]) == 3


def test_integration_reads_only_the_tickets_it_created(
    integration_client, integration, other_integration
):
    customer = CustomerFactory(source_integration=integration)
    created = TicketFactory(requester=customer, source_integration=integration)
    # The same customer's ticket from an agent or a channel is not the integration's.
    by_agent = TicketFactory(requester=customer)
    theirs = TicketFactory(
        requester=CustomerFactory(source_integration=other_integration),
        source_integration=other_integration,
    )
    ids = {t["id"] for t in integration_client.get(URL).json()["results"]}
    assert ids == {created.pk}
    assert_error(integration_client.get(f"{URL}{by_agent.pk}/"), 404)
    assert_error(integration_client.get(f"{URL}{theirs.pk}/"), 404)


def test_retrieve_shows_full_ticket(agent_client, team, agent):
    ticket = TicketFactory(team=team, assignee=agent, priority=Priority.URGENT)
    data = agent_client.get(f"{URL}{ticket.pk}/").json()
    assert data["id"] == ticket.pk
    assert data["priority"] == "urgent"
    assert data["assignee"]["username"] == "alice"
    assert data["version"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", {"open-high"}),
        ("status=new,pending", {"new-low", "pending-chat"}),
        ("priority=high", {"open-high"}),
        ("channel=chat", {"pending-chat"}),
        ("assignee=me", {"open-high"}),
        ("assignee=none", {"new-low", "pending-chat"}),
        ("tag=vip", {"new-low"}),
    ],
)
def test_list_filters(agent_client, agent, team, query, expected):
    from tickets.models import Tag

    TicketFactory(
        subject="open-high", team=team, status="open", priority=Priority.HIGH, assignee=agent
    )
    low = TicketFactory(subject="new-low", team=team, priority=Priority.LOW)
    low.tags.add(Tag.objects.create(name="vip"))
    TicketFactory(subject="pending-chat", team=team, status="pending", channel="chat")
    subjects = {t["subject"] for t in agent_client.get(f"{URL}?{query}").json()["results"]}
    assert subjects == expected


def test_filter_by_team_requester_organization_and_updated_since(manager_client, team, other_team):
    org = OrganizationFactory()
    customer = CustomerFactory(organization=org)
    target = TicketFactory(team=team, requester=customer)
    TicketFactory(team=other_team)
    for query in [f"team={team.pk}", f"requester={customer.pk}", f"organization={org.pk}"]:
        assert [t["id"] for t in manager_client.get(f"{URL}?{query}").json()["results"]] == [
            target.pk
        ], query
    since = target.updated_at.isoformat().replace("+00:00", "Z")
    assert len(manager_client.get(URL, {"updated_since": since}).json()["results"]) >= 1
    assert (
        manager_client.get(URL, {"updated_since": "2999-01-01T00:00:00Z"}).json()["results"] == []
    )


def test_bad_filter_value_is_400(agent_client):
    assert_error(agent_client.get(f"{URL}?status=sleeping"), 400, field="status")
    assert_error(agent_client.get(f"{URL}?assignee=bob"), 400, field="assignee")
    assert_error(agent_client.get(f"{URL}?updated_since=yesterday"), 400, field="updated_since")


def test_cursor_pagination_walks_every_ticket_once(manager_client, team):
    created = {TicketFactory(team=team).pk for _ in range(7)}
    seen, url = [], f"{URL}?page_size=3"
    while url:
        page = manager_client.get(url).json()
        seen.extend(t["id"] for t in page["results"])
        url = page["next"]
    assert sorted(seen) == sorted(created)


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_is_constant(agent_client, team, rows, django_assert_max_num_queries):
    for _ in range(rows):
        ticket = TicketFactory(
            team=team, assignee=UserFactory(teams=[team]), organization=OrganizationFactory()
        )
        ticket.tags.create(name=f"t{ticket.pk}")
    with django_assert_max_num_queries(5):
        response = agent_client.get(f"{URL}?page_size=50")
    assert len(response.json()["results"]) == rows
