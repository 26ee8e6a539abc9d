"""SLA configuration API (managers write, agents read), a ticket's SLA, and SLA list filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from slas.models import Metric, SlaClock, SlaPolicy, SlaTier
from slas.sweeps import sla_sweep
from tests.conftest import assert_error
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    OrganizationFactory,
    PolicyFactory,
    TierFactory,
)
from tickets import services as ticket_services
from tickets.models import Priority

pytestmark = pytest.mark.django_db

OFFICE = {
    "name": "Berlin office",
    "time_zone": "Europe/Berlin",
    "holiday_country": "DE",
    "holiday_subdivision": "BE",
    "intervals": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)],
    "holidays": [{"date": "2026-12-24", "name": "Christmas Eve"}],
}


def policy_body(**overrides):
    body = {
        "name": "Standard",
        "warn_at_percent": 80,
        "targets": [
            {"priority": "normal", "metric": "first_response", "minutes": 240},
            {"priority": "normal", "metric": "resolution", "minutes": 2400},
            {
                "priority": "urgent",
                "metric": "first_response",
                "minutes": 30,
                "business_hours": False,
            },
        ],
        "escalations": [{"level": 1, "after_minutes": 0, "raise_priority": True}],
    }
    body.update(overrides)
    return body


def test_manager_creates_a_calendar_with_overnight_interval(manager_client):
    body = {
        **OFFICE,
        "intervals": [*OFFICE["intervals"], {"weekday": 5, "start": "22:00", "end": "02:00"}],
    }
    response = manager_client.post("/api/v1/sla/calendars/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert len(data["intervals"]) == 6
    assert data["holidays"] == [{"date": "2026-12-24", "name": "Christmas Eve"}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"intervals": []}, "intervals"),
        (
            {
                "intervals": [
                    {"weekday": 0, "start": "09:00", "end": "17:00"},
                    {"weekday": 0, "start": "16:00", "end": "18:00"},
                ]
            },
            "intervals",
        ),
        (
            {
                "intervals": [
                    {"weekday": 6, "start": "22:00", "end": "03:00"},
                    {"weekday": 0, "start": "02:00", "end": "05:00"},
                ]
            },
            "intervals",
        ),
        ({"intervals": [{"weekday": 7, "start": "09:00", "end": "17:00"}]}, "intervals.0.weekday"),
        ({"intervals": [{"weekday": 1, "start": "09:00", "end": "09:00"}]}, "intervals.0.end"),
    ],
)
def test_bad_calendar_is_refused_with_field_errors(manager_client, change, field):
    response = manager_client.post("/api/v1/sla/calendars/", {**OFFICE, **change}, format="json")
    assert_error(response, 400, field=field)


def test_agents_read_but_do_not_write_sla_configuration(agent_client):
    CalendarFactory(name="24/7")
    assert agent_client.get("/api/v1/sla/calendars/").status_code == 200
    assert_error(agent_client.post("/api/v1/sla/calendars/", OFFICE, format="json"), 403)
    assert_error(agent_client.post("/api/v1/sla/policies/", policy_body(), format="json"), 403)


def test_manager_creates_a_policy_with_nested_targets(manager_client):
    calendar = CalendarFactory()
    response = manager_client.post(
        "/api/v1/sla/policies/", policy_body(calendar=calendar.pk), format="json"
    )
    assert response.status_code == 201, response.content
    policy = SlaPolicy.objects.get(pk=response.json()["id"])
    assert policy.version == 1
    assert policy.is_current
    assert policy.targets.count() == 3
    assert policy.escalations.get().level == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"targets": []}, "targets"),
        (
            {"targets": [{"priority": "normal", "metric": "resolution", "minutes": 0}]},
            "targets.0.minutes",
        ),
        ({"targets": [{"priority": "high", "metric": "never", "minutes": 5}]}, "targets.0.metric"),
        (
            {
                "targets": [
                    {"priority": "normal", "metric": "resolution", "minutes": 60},
                    {"priority": "normal", "metric": "resolution", "minutes": 90},
                ]
            },
            "targets.1",
        ),
        ({"warn_at_percent": 100}, "warn_at_percent"),
        ({"escalations": [{"level": 2}]}, "escalations"),
        ({"calendar": 999999}, "calendar"),
        ({"pause_on_hold": 0}, "pause_on_hold"),
        (
            {
                "targets": [
                    {"priority": "low", "metric": "resolution", "minutes": 5, "business_hours": 1}
                ]
            },
            "targets.0.business_hours",
        ),
    ],
)
def test_bad_policy_is_refused_with_field_errors(manager_client, change, field):
    response = manager_client.post("/api/v1/sla/policies/", policy_body(**change), format="json")
    assert_error(response, 400, field=field)
    assert not SlaPolicy.objects.exists()


def test_editing_a_policy_writes_a_new_version_and_running_tickets_keep_theirs(manager_client):
    policy = PolicyFactory(
        name="Standard", calendar_targets={(Metric.RESOLUTION, Priority.NORMAL): 600}
    )
    tier = TierFactory(name="Standard", policy=policy)
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))
    old_ticket = ticket_services.ticket_create(requester=customer, subject="a", body="b")

    response = manager_client.patch(
        f"/api/v1/sla/policies/{policy.pk}/",
        {"targets": [{"priority": "normal", "metric": "resolution", "minutes": 60}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    new = SlaPolicy.objects.get(pk=response.json()["id"])
    assert (new.version, new.lineage, new.is_current) == (2, policy.lineage, True)
    policy.refresh_from_db()
    assert policy.is_current is False
    tier.refresh_from_db()
    assert tier.policy == new
    assert SlaClock.objects.get(ticket=old_ticket).policy == policy  # history stays true
    new_ticket = ticket_services.ticket_create(requester=customer, subject="c", body="d")
    assert SlaClock.objects.get(ticket=new_ticket).target_minutes == 60
    # the list shows current versions; ?lineage= shows all
    listed = manager_client.get("/api/v1/sla/policies/").json()["results"]
    assert [p["id"] for p in listed] == [new.pk]
    versions = manager_client.get(f"/api/v1/sla/policies/?lineage={policy.lineage}").json()
    assert sorted(p["version"] for p in versions["results"]) == [1, 2]
    # an old version cannot be edited
    stale = manager_client.patch(f"/api/v1/sla/policies/{policy.pk}/", {"name": "x"}, format="json")
    assert_error(stale, 409, code="stale_version")


def test_manager_creates_a_tier_with_channels_and_policy(manager_client):
    policy = PolicyFactory()
    body = {
        "name": "Premium",
        "rank": 20,
        "channels": ["email", "chat", "phone"],
        "policy": policy.pk,
    }
    response = manager_client.post("/api/v1/sla/tiers/", body, format="json")
    assert response.status_code == 201, response.content
    assert SlaTier.objects.get(name="Premium").channels == ["email", "chat", "phone"]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"channels": ["pigeon"]}, "channels.0"), ({"channels": ["email", "email"]}, "channels")],
)
def test_bad_tier_is_refused(manager_client, change, field):
    body = {"name": "Premium", "rank": 20, **change}
    assert_error(manager_client.post("/api/v1/sla/tiers/", body, format="json"), 400, field=field)


def test_tier_cannot_use_an_old_policy_version(manager_client):
    old = PolicyFactory(is_current=False)
    body = {"name": "Premium", "rank": 20, "policy": old.pk}
    assert_error(
        manager_client.post("/api/v1/sla/tiers/", body, format="json"), 400, field="policy"
    )


@pytest.fixture
def measured_ticket(team):
    policy = PolicyFactory(
        calendar=CalendarFactory(),
        calendar_targets={
            (Metric.FIRST_RESPONSE, Priority.NORMAL): 60,
            (Metric.RESOLUTION, Priority.NORMAL): 600,
        },
    )
    tier = TierFactory(name="Standard", policy=policy)
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))
    return ticket_services.ticket_create(requester=customer, subject="a", body="b", team=team)


def test_ticket_sla_shows_each_clock_with_state_due_and_remaining(agent_client, measured_ticket):
    with time_machine.travel(timezone.now() + timedelta(minutes=50), tick=False):
        sla_sweep()
        response = agent_client.get(f"/api/v1/tickets/{measured_ticket.pk}/sla/")
    assert response.status_code == 200
    data = response.json()
    assert data["tier"] == "Standard"
    clocks = {c["metric"]: c for c in data["clocks"]}
    assert clocks["first_response"]["state"] == "at_risk"
    assert clocks["first_response"]["remaining_business_minutes"] == pytest.approx(10, abs=0.1)
    assert clocks["resolution"]["state"] == "running"
    assert clocks["resolution"]["breached"] is False


def test_ticket_sla_of_an_invisible_ticket_is_404(other_agent_client, measured_ticket):
    assert_error(other_agent_client.get(f"/api/v1/tickets/{measured_ticket.pk}/sla/"), 404)


def test_ticket_list_filters_by_sla_state_and_orders_by_next_due(
    agent_client, measured_ticket, team, django_assert_max_num_queries
):
    calm = ticket_services.ticket_create(
        requester=measured_ticket.requester, subject="calm", body="x", team=team
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
        sla_sweep()  # both breach first response...
    ticket_services.ticket_reply(ticket=calm, author=calm.team.members.first(), body="hi")
    later = ticket_services.ticket_create(
        requester=measured_ticket.requester, subject="later", body="x", team=team
    )

    def ids(query):
        with django_assert_max_num_queries(6):
            response = agent_client.get(f"/api/v1/tickets/?{query}")
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["results"]]

    assert ids("sla_state=breached") == [measured_ticket.pk]
    assert set(ids("sla_state=ok")) == {calm.pk, later.pk}
    assert ids("sla_state=at_risk") == []
    # calm owes only resolution (10 h), later owes a first response (1 h)
    assert ids("ordering=next_due_at") == [measured_ticket.pk, later.pk, calm.pk]
    assert_error(agent_client.get("/api/v1/tickets/?sla_state=doomed"), 400, field="sla_state")


def test_manager_reapplies_the_current_policy_to_a_running_ticket(
    manager_client, agent_client, measured_ticket
):
    tier = SlaTier.objects.get(name="Standard")
    tier.policy = PolicyFactory(calendar_targets={(Metric.RESOLUTION, Priority.NORMAL): 30})
    tier.save()
    assert_error(agent_client.post(f"/api/v1/tickets/{measured_ticket.pk}/sla/"), 403)
    response = manager_client.post(f"/api/v1/tickets/{measured_ticket.pk}/sla/")
    assert response.status_code == 200, response.content
    assert [c["target_minutes"] for c in response.json()["sla"]["clocks"]] == [30]


def test_organization_override_policy_must_be_a_current_version(manager_client):
    organization = OrganizationFactory()
    old, current = PolicyFactory(is_current=False), PolicyFactory()
    url = f"/api/v1/organizations/{organization.pk}/"
    assert_error(
        manager_client.patch(url, {"sla_policy": old.pk}, format="json"), 400, field="sla_policy"
    )
    response = manager_client.patch(url, {"sla_policy": current.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["sla_policy"] == current.pk


@pytest.mark.parametrize(
    "path", ["/api/v1/sla/calendars/", "/api/v1/sla/policies/", "/api/v1/sla/tiers/"]
)
def test_sla_lists_cost_a_constant_number_of_queries(
    agent_client, path, django_assert_max_num_queries
):
    for index in range(5):
        calendar = CalendarFactory(always_open=False, office_hours=True)
        policy = PolicyFactory(calendar=calendar, calendar_targets=TARGETS_FOR_LISTS)
        TierFactory(name=f"Tier {index}", policy=policy)
    with django_assert_max_num_queries(5):
        response = agent_client.get(path)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


TARGETS_FOR_LISTS = {
    (Metric.RESOLUTION, Priority.NORMAL): 60,
    (Metric.FIRST_RESPONSE, Priority.HIGH): 5,
}


def test_a_ticket_outside_its_plan_says_so_in_the_api(agent_client, team):
    tier = TierFactory(name="Email only", channels=["email"], policy=PolicyFactory())
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))
    ticket = ticket_services.ticket_create(
        requester=customer, subject="a", body="b", team=team, channel="chat"
    )
    assert agent_client.get(f"/api/v1/tickets/{ticket.pk}/").json()["outside_plan"] is True
    assert agent_client.get(f"/api/v1/tickets/{ticket.pk}/sla/").json()["outside_plan"] is True


def test_renaming_a_calendar_keeps_its_hours_and_holidays(manager_client):
    created = manager_client.post("/api/v1/sla/calendars/", OFFICE, format="json").json()
    url = f"/api/v1/sla/calendars/{created['id']}/"
    renamed = manager_client.patch(url, {"name": "Berlin office"}, format="json")
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["intervals"] == created["intervals"]
    assert renamed.json()["holidays"] == created["holidays"]
    assert renamed.json()["time_zone"] == created["time_zone"]
    saturday = {"intervals": [{"weekday": 5, "start": "10:00", "end": "14:00"}]}
    moved = manager_client.patch(url, saturday, format="json").json()
    assert [(i["weekday"], i["start"]) for i in moved["intervals"]] == [(5, "10:00")]
    assert moved["name"] == "Berlin office"
    assert moved["holidays"] == created["holidays"]
