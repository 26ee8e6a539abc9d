"""The desk's ticket views: built-in views and their counts, saved views (page and rules),
the queue's status fix, the profile (language, time zone), and the fixes found in use."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from desk import services as desk_services
from desk.models import SavedView, TeamCalendar
from slas.models import Metric, SlaClock
from success.models import CustomerHealth
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    ManagerFactory,
    SavedViewFactory,
    TeamFactory,
    UserFactory,
)
from tickets import services as ticket_services
from tickets.models import EventKind, Priority, Ticket
from tickets.status import Status

from .conftest import desk_client

pytestmark = pytest.mark.django_db


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-ticket="(\d+)"', html)]


def counts(html: str) -> dict[str, int]:
    return {
        key: int(n)
        for key, n in re.findall(
            r'<li data-view="([\w-]+)">.*?<span class="count"[^>]*>(\d+)</span>', html
        )
    }


def set_status(ticket, status, actor):
    return ticket_services.ticket_update(ticket=ticket, actor=actor, status=status)


@pytest.fixture
def world(agent, other_agent, make_ticket, customer):
    """One ticket in each view, plus one of another team that no view of alice's counts."""
    t = {}
    t["mine"] = ticket_services.ticket_update(
        ticket=make_ticket("Mine"), actor=agent, assignee=agent
    )
    t["unassigned"] = make_ticket("Nobody has it")
    t["pending"] = set_status(make_ticket("Waiting on Carla"), Status.PENDING, agent)
    t["on_hold"] = set_status(make_ticket("Waiting on the carrier"), Status.ON_HOLD, agent)
    t["solved"] = set_status(make_ticket("Fixed"), Status.SOLVED, agent)
    old = set_status(make_ticket("Fixed long ago"), Status.SOLVED, agent)
    Ticket.objects.filter(pk=old.pk).update(solved_at=timezone.now() - timedelta(days=30))
    t["breached"] = make_ticket("Late", priority=Priority.LOW)
    SlaClock.objects.filter(ticket=t["breached"], metric=Metric.FIRST_RESPONSE).update(
        breached_at=timezone.now()
    )
    risky = CustomerFactory(name="Rita Risk", organization=customer.organization)
    CustomerHealth.objects.create(customer=risky, at_risk=True, at_risk_since=timezone.now())
    t["at_risk"] = make_ticket("Unhappy again", requester=risky)
    t["elsewhere"] = make_ticket("Billing question", team_=other_agent.teams.get())
    return t


def test_each_builtin_view_lists_its_tickets(desk, world):
    expect = {
        "mine": {world["mine"].pk},
        "pending": {world["pending"].pk},
        "on_hold": {world["on_hold"].pk},
        "solved": {world["solved"].pk},  # the one solved 30 days ago is not "recent"
        "breached": {world["breached"].pk},
        "at_risk": {world["at_risk"].pk},
    }
    for slug, ids in expect.items():
        response = desk.get(f"/desk/views/{slug}/")
        assert response.status_code == 200, slug
        assert set(row_ids(response.content.decode())) == ids, slug
    unassigned = set(row_ids(desk.get("/desk/views/unassigned/").content.decode()))
    assert unassigned == {world[k].pk for k in ("unassigned", "breached", "at_risk")}
    open_ = set(row_ids(desk.get("/desk/views/open/").content.decode()))
    assert open_ == {world[k].pk for k in ("mine", "unassigned", "breached", "at_risk")}
    assert desk.get("/desk/views/nonsense/").status_code == 404


def test_counts_beside_each_view_match_the_lists(desk, world, agent):
    SavedViewFactory(owner=agent, name="Low ones", filters={"priority": ["low"]})
    html = desk.get("/desk/").content.decode()
    found = counts(html)
    assert found["mine"] == 1
    assert found["unassigned"] == 3
    assert found["open"] == 4
    assert found["pending"] == 1
    assert found["on_hold"] == 1
    assert found["solved"] == 1
    assert found["breached"] == 1
    assert found["at_risk"] == 1
    saved = SavedView.objects.get(owner=agent)
    assert found[f"saved-{saved.pk}"] == 1  # the breached low-priority one
    assert "Low ones" in html


def test_another_teams_agent_counts_none_of_them(world, other_agent):
    html = desk_client(other_agent).get("/desk/").content.decode()
    found = counts(html)
    assert found["open"] == 1  # only the Billing ticket
    assert found["pending"] == found["breached"] == found["mine"] == 0


def test_view_pages_and_counts_cost_constant_queries(
    desk, agent, make_ticket, django_assert_max_num_queries
):
    for _n in range(3):
        SavedViewFactory(owner=agent, filters={"status": ["pending"], "tag": "a"})
    for n in range(30):
        set_status(make_ticket(f"p{n}", tags=["a"]), Status.PENDING, agent)
    # session, user, agent's zone, tickets, clocks (+calendar, intervals, holidays when any
    # run), the team choices, saved views, the one count query, the availability toggle
    with django_assert_max_num_queries(12):
        response = desk.get("/desk/views/pending/")
    assert len(row_ids(response.content.decode())) == 30
    saved = SavedView.objects.filter(owner=agent).first()
    with django_assert_max_num_queries(13):  # and the saved view itself
        response = desk.get(f"/desk/saved-views/{saved.pk}/")
    assert len(row_ids(response.content.decode())) == 30


def test_sort_by_urgency_or_by_last_update(desk, agent, make_ticket):
    calm = set_status(make_ticket("calm", priority=Priority.LOW), Status.PENDING, agent)
    urgent = set_status(make_ticket("urgent", priority=Priority.URGENT), Status.PENDING, agent)
    ticket_services.ticket_update(ticket=calm, actor=agent, tags=["touched"])  # updated last
    html = desk.get("/desk/views/pending/?sort=updated").content.decode()
    assert row_ids(html) == [calm.pk, urgent.pk]
    html = desk.get("/desk/views/pending/?sort=urgency").content.decode()
    assert row_ids(html) == [urgent.pk, calm.pk]
    assert row_ids(desk.get("/desk/views/pending/").content.decode()) == [urgent.pk, calm.pk]


def test_unknown_filter_values_are_a_400_naming_them(desk, world):
    response = desk.get("/desk/views/open/?status=banana&colour=red&sort=random")
    assert response.status_code == 400
    html = response.content.decode()
    for name in ("status:", "colour:", "sort:"):
        assert name in html
    assert row_ids(html) == []


def test_queue_status_pending_opens_the_pending_view(desk, world):
    response = desk.get("/desk/?status=pending&channel=email")
    assert response.status_code == 302
    assert response["Location"] == "/desk/views/pending/?channel=email"
    assert desk.get("/desk/?status=banana").status_code == 400


def test_agent_saves_a_view_from_the_page_and_deletes_it(desk, agent, world):
    response = desk.post(
        "/desk/saved-views/",
        {"name": "Pending email", "view": "pending", "channel": "email", "sort": "updated"},
    )
    view = SavedView.objects.get(owner=agent)
    assert response["Location"] == f"/desk/saved-views/{view.pk}/"
    assert view.filters == {"view": "pending", "channel": ["email"]}
    assert view.sort == "updated"
    html = desk.get(response["Location"]).content.decode()
    assert row_ids(html) == [world["pending"].pk]
    desk.post(f"/desk/saved-views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_saved_views_are_personal(desk, world):
    someone = SavedViewFactory(owner=UserFactory(), filters={"view": "pending"})
    assert desk.get(f"/desk/saved-views/{someone.pk}/").status_code == 404
    assert desk.post(f"/desk/saved-views/{someone.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=someone.pk).exists()


def test_saved_view_filters_are_checked_against_the_allow_list(agent):
    with pytest.raises(ValidationError) as exc:
        desk_services.saved_view_create(
            owner=agent, name="x", filters={"status": ["pending", "lost"], "__class__": 1}
        )
    assert set(exc.value.message_dict) == {"status", "__class__"}
    assert not SavedView.objects.exists()


# --- the profile: language and time zone -------------------------------------------------------


def test_profile_switches_the_desk_to_russian(desk, agent, world):
    response = desk.post("/desk/profile/", {"language": "ru", "time_zone": "Europe/Moscow"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.language, agent.time_zone) == ("ru", "Europe/Moscow")
    html = desk.get("/desk/profile/").content.decode()
    assert '<html lang="ru"' in html
    assert "Профиль сохранён." in html
    queue = desk.get("/desk/").content.decode()
    assert "Ваша очередь" in queue
    assert "Europe/Moscow" in queue


def test_profile_refuses_a_zone_that_does_not_exist(desk, agent):
    response = desk.post("/desk/profile/", {"language": "en", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    agent.refresh_from_db()
    assert agent.time_zone == ""


def test_time_zone_defaults_to_the_teams_calendar(desk, agent, team, make_ticket):
    TeamCalendar.objects.create(team=team, calendar=CalendarFactory(time_zone="Asia/Tokyo"))
    ticket = make_ticket()
    html = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Asia/Tokyo" in html
    local = timezone.localtime(ticket.created_at, timezone=ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%H:%M") in html


def test_api_ticket_list_honours_pending_and_refuses_unknown_values(agent_client, world):
    response = agent_client.get("/api/v1/tickets/?status=pending")
    assert [t["id"] for t in response.json()["results"]] == [world["pending"].pk]
    both = agent_client.get("/api/v1/tickets/?status=pending,on_hold").json()["results"]
    assert {t["id"] for t in both} == {world["pending"].pk, world["on_hold"].pk}
    response = agent_client.get("/api/v1/tickets/?status=waiting")
    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["status"]


def test_the_api_stays_english_whatever_the_profile(agent_client, agent):
    desk_services.agent_profile_update(user=agent, language="ru")
    response = agent_client.get("/api/v1/tickets/?status=banana")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


# --- fixes found in use ------------------------------------------------------------------------


def test_countdown_says_when_and_in_which_time(desk, agent, make_ticket):
    ticket = make_ticket()
    agent.time_zone = "America/New_York"
    agent.save()
    due = SlaClock.objects.filter(ticket=ticket).order_by("due_at").first().due_at
    when = timezone.localtime(due, ZoneInfo("America/New_York")).strftime("%a %H:%M")
    queue = desk.get("/desk/").content.decode()
    assert f"due {when}, calendar time" in queue  # the fixture's targets are calendar minutes
    page = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "America/New_York" in page
    assert '<span class="muted">calendar time</span>' in page


def test_reply_to_an_unassigned_ticket_assigns_the_replier(desk, agent, make_ticket):
    ticket = make_ticket()
    desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "On it", "visibility": "public", "version": ticket.version},
    )
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.events.filter(kind=EventKind.ASSIGNED, after__assignee=agent.pk).exists()


def test_assign_on_reply_can_be_switched_off_and_notes_do_not_assign(settings, desk, make_ticket):
    ticket = make_ticket()
    desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "hmm", "visibility": "internal", "version": ticket.version},
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None
    settings.DESK_ASSIGN_ON_REPLY = False
    desk.post(
        f"/desk/tickets/{ticket.pk}/reply/",
        {"body": "Hi", "visibility": "public", "version": ticket.version},
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_ticket_escalated_away_says_where_it_went(desk, agent, make_ticket):
    ticket = make_ticket()
    ticket_services.ticket_update(ticket=ticket, actor=agent, assignee=agent)
    tier3 = TeamFactory(name="Tier 3")
    mona = ManagerFactory(first_name="Mona")
    ticket_services.ticket_update(ticket=ticket, actor=mona, team=tier3)
    response = desk.get(f"/desk/tickets/{ticket.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tier 3" in html
    assert "Mona" in html
    assert "It is on fire." not in html  # the conversation is not shown
    # A ticket of that team the agent never touched stays a 404.
    untouched = ticket_services.ticket_create(
        requester=ticket.requester, subject="x", body="y", team=tier3
    )
    assert desk.get(f"/desk/tickets/{untouched.pk}/").status_code == 404


def test_channel_icons_are_inline_svg(desk, make_ticket):
    ticket = make_ticket()
    html = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'data-icon="mail"' in html
    assert "✉" not in desk.get("/desk/").content.decode()


def test_audit_trail_speaks_words(desk, agent, make_ticket):
    ticket = make_ticket()
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="note", public=False)
    ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.PENDING)
    html = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Added an internal note" in html
    assert "Status: New → Pending" in html
    assert "public: True" not in html
    assert "public: False" not in html


def test_managers_dashboard_speaks_the_profile_language(manager):
    desk_services.agent_profile_update(user=manager, language="ru")
    response = desk_client(manager).get("/desk/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Соблюдаем ли мы SLA?" in html
    assert "Последние 30 дней" in html


def test_an_sla_escalation_away_is_named_as_such(desk, agent, make_ticket):
    ticket = make_ticket()
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="Looking", public=False)
    ticket_services.ticket_update(ticket=ticket, actor=None, team=TeamFactory(name="Tier 2"))
    html = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Tier 2" in html
    assert "the system (SLA escalation)" in html


def test_profile_and_moved_pages_cost_constant_queries(
    desk, agent, make_ticket, django_assert_max_num_queries
):
    # session, user, the agent's zone (twice: the header and the form's default), toggle
    with django_assert_max_num_queries(5):
        assert desk.get("/desk/profile/").status_code == 200
    ticket = make_ticket()
    for n in range(10):
        ticket_services.ticket_reply(ticket=ticket, author=agent, body=f"n{n}", public=False)
    ticket_services.ticket_update(ticket=ticket, actor=None, team=TeamFactory(name="Tier 2"))
    # session, user, zone, visibility, the ticket, the agent's events, the move, the toggle
    with django_assert_max_num_queries(8):
        assert "Tier 2" in desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
