"""The agents' desk through Django's test client: sign-in, queue, claim, the ticket page and
query counts (its forms, collisions, CSRF and presence: test_page_actions.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from slas.models import Metric, SlaClock
from tests.factories import CustomerFactory, TeamFactory, TicketFactory
from tickets import services as ticket_services
from tickets.models import ChannelKind, Priority, Ticket
from tickets.status import Status

from .conftest import desk_client

pytestmark = pytest.mark.django_db


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-ticket="(\d+)"', html)]


# --- sign-in -----------------------------------------------------------------------------------


def test_pages_require_sign_in(client, team):
    for url in ["/desk/", "/desk/queue/rows/", "/desk/tickets/1/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/desk/login/?next=")


def test_polling_after_the_session_expired_redirects_the_whole_page(client):
    response = client.get("/desk/queue/rows/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == "/desk/login/"


def test_agent_signs_in_and_out(client, agent):
    page = client.get("/desk/login/")
    assert page.status_code == 200
    assert b'<label for="id_username">' in page.content
    response = client.post("/desk/login/", {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200
    assert client.get("/desk/logout/").status_code == 405  # sign-out is a POST
    response = client.post("/desk/logout/")
    assert response.status_code == 302
    assert client.get("/desk/").status_code == 302


def test_integration_users_cannot_sign_in(client, integration):
    integration.set_password("pw")
    integration.save()
    response = client.post("/desk/login/", {"username": "shop", "password": "pw"})
    assert response.status_code == 200
    assert b"Only agents and managers can sign in to the desk." in response.content
    assert "_auth_user_id" not in client.session
    # ...and a session obtained elsewhere (e.g. the admin) does not open the desk either.
    assert desk_client(integration).get("/desk/").status_code == 403


def test_session_expires_after_the_cookie_age(settings, agent):
    import time_machine

    client = desk_client(agent)
    assert client.get("/desk/").status_code == 200
    later = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with time_machine.travel(later, tick=False):
        assert client.get("/desk/").status_code == 302


def test_csrf_is_enforced_on_every_form(agent, make_ticket):
    ticket = make_ticket()
    client = desk_client(agent, enforce_csrf_checks=True)
    for url, data in [
        ("/desk/claim/", {}),
        (f"/desk/tickets/{ticket.pk}/reply/", {"body": "x", "visibility": "public", "version": 1}),
        (f"/desk/tickets/{ticket.pk}/fields/", {"status": "open", "version": 1}),
        (f"/desk/tickets/{ticket.pk}/presence/", {"state": "viewing"}),
        ("/desk/logout/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert (
        Client(enforce_csrf_checks=True)
        .post("/desk/login/", {"username": "alice", "password": "pw"})
        .status_code
        == 403
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.messages.count() == 1


# --- the queue ---------------------------------------------------------------------------------


def test_queue_order_matches_the_api(agent, agent_client, desk, team, other_team, make_ticket):
    now = timezone.now()
    normal = make_ticket("normal")
    urgent = make_ticket("urgent", priority=Priority.URGENT)
    low = make_ticket("low", priority=Priority.LOW)
    breached = make_ticket("breached", priority=Priority.LOW)
    SlaClock.objects.filter(ticket=breached, metric=Metric.FIRST_RESPONSE).update(
        due_at=now - timedelta(minutes=5), breached_at=now - timedelta(minutes=4)
    )
    Ticket.objects.filter(pk=breached.pk).update(next_due_at=now - timedelta(minutes=5))
    no_sla = TicketFactory(team=team, status="open")
    make_ticket("elsewhere", team_=other_team)
    api = [row["id"] for row in agent_client.get("/api/v1/queue/?limit=100").json()["results"]]
    page = desk.get("/desk/")
    assert page.status_code == 200
    html = page.content.decode()
    assert row_ids(html) == api == [breached.pk, urgent.pk, normal.pk, low.pk, no_sla.pk]
    assert 'class="breached"' in html
    # the countdown carries the due instant and the server's remaining business time
    clock = SlaClock.objects.get(ticket=urgent, metric=Metric.FIRST_RESPONSE)
    assert f'data-due="{clock.due_at.isoformat()}"' in html
    assert re.search(r'data-remaining="(8\d\d|900)"', html)  # ~15 minutes, in seconds
    assert re.search(r"overdue [45]m \d\ds", html)
    assert "Business" in html
    assert "Carla Customer" in html
    assert "Email" in html
    # the rows partial polled by htmx has the same rows
    rows = desk.get("/desk/queue/rows/")
    assert row_ids(rows.content.decode()) == api
    # polls every 15 s, paused while tickets are selected for a bulk action
    assert b'hx-trigger="every 15s [!document.querySelector(' in rows.content


def test_queue_filters(agent, desk, team, customer, make_ticket, tier):
    second_team = TeamFactory(name="Second line")
    second_team.members.add(agent)
    chat = make_ticket("chat", channel=ChannelKind.CHAT)
    email = make_ticket("email")
    mine = make_ticket("mine", assignee=agent)
    other_team_ticket = make_ticket("second line", team_=second_team)
    no_tier = make_ticket("no tier", requester=CustomerFactory())
    opened = make_ticket("opened")
    ticket_services.ticket_update(ticket=opened, actor=agent, status=Status.OPEN)

    def ids(query: str) -> set[int]:
        return set(row_ids(desk.get(f"/desk/?{query}").content.decode()))

    everything = {chat.pk, email.pk, mine.pk, other_team_ticket.pk, no_tier.pk, opened.pk}
    assert ids("") == everything
    assert ids("channel=chat") == {chat.pk}
    assert ids(f"team={second_team.pk}") == {other_team_ticket.pk}
    assert ids(f"tier={tier.pk}") == everything - {no_tier.pk}
    assert ids("status=open") == {opened.pk}
    assert ids("assigned=mine") == {mine.pk}
    assert ids("assigned=unassigned") == everything - {mine.pk}
    assert ids("channel=nonsense") == everything  # a bad filter is ignored
    # the filters survive polling
    assert '/desk/queue/rows/?channel=chat"' in desk.get("/desk/?channel=chat").content.decode()


def office_hours(tier) -> None:
    """Business hours on the tier's calendar: countdowns then read intervals and holidays."""
    from slas.models import BusinessInterval, CalendarHoliday

    calendar = tier.policy.calendar
    calendar.always_open = False
    calendar.save()
    for weekday in range(7):
        BusinessInterval.objects.create(
            calendar=calendar, weekday=weekday, start_time="00:00", end_time="00:00"
        )
    CalendarHoliday.objects.create(calendar=calendar, date="2001-01-01", name="long ago")


def test_queue_page_queries_are_bounded(
    agent, desk, team, make_ticket, tier, django_assert_num_queries
):
    office_hours(tier)
    customers = [CustomerFactory() for _ in range(5)]
    for n in range(50):
        make_ticket(f"ticket {n}", requester=customers[n % 5], priority=1 + n % 4, tags=["a"])
    # session, user, the agent's zone (team calendar), tickets (only the columns a row shows),
    # clocks (their policies and calendars from the SLA engine's per-process cache), saved
    # views, the views' kept counts (desk.queue_counts) and one count query for the others,
    # the header's availability, the teams (the filter's and the bulk bar's, one query), tier
    # and assignee choices (on SQLite nothing is tallied: one count query for every view)
    tallies = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(11 + tallies) as queries:
        response = desk.get("/desk/")
    assert len(row_ids(response.content.decode())) == 50
    # the <select>s' options come from plain queries: a server-side cursor (DECLARE, FETCH,
    # CLOSE) is three round trips where one does
    assert not [q for q in queries.captured_queries if q["sql"].startswith("DECLARE")]
    # the rows and, swapped out of band beside them, the views' counts (saved views, kept
    # counts, one count query)
    with django_assert_num_queries(7 + tallies):
        rows = desk.get("/desk/queue/rows/").content.decode()
    assert re.search(r'<nav id="views-nav"[^>]* hx-swap-oob="true">', rows)
    for n in range(10):  # more tickets than the page shows: the same statements
        make_ticket(f"more {n}", requester=customers[n % 5], priority=1 + n % 4)
    with django_assert_num_queries(len(queries.captured_queries)):
        desk.get("/desk/")


def test_claim_takes_the_most_urgent_unassigned_ticket(agent, desk, make_ticket):
    make_ticket("normal")
    urgent = make_ticket("urgent", priority=Priority.URGENT)
    response = desk.post("/desk/claim/")
    assert response.status_code == 302
    assert response["Location"] == f"/desk/tickets/{urgent.pk}/"
    urgent.refresh_from_db()
    assert urgent.assignee == agent
    desk.post("/desk/claim/")
    response = desk.post("/desk/claim/", follow=True)
    assert b"Nothing is waiting in your queue." in response.content


# --- the ticket page ---------------------------------------------------------------------------


def test_ticket_page_shows_conversation_panels_and_trail(agent, desk, make_ticket, customer):
    from success.models import CustomerHealth

    ticket = make_ticket(html_body="<p>Hello <b>bold</b><script>alert(1)</script></p>")
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="Secret note", public=False)
    ticket_services.ticket_update(ticket=ticket, actor=agent, assignee=agent)
    CustomerHealth.objects.create(customer=customer, score=40, at_risk=True)
    earlier = make_ticket("Earlier problem")
    html = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "<b>bold</b>" in html
    assert "<script>alert(1)" not in html
    assert 'class="msg note"' in html
    assert "Internal note" in html
    assert "Secret note" in html
    assert 'class="msg inbound"' in html
    assert "First response" in html
    assert "Resolution" in html
    assert "Health 40/100" in html
    assert "at risk" in html
    assert f"#{earlier.pk} Earlier problem" in html
    assert "Business" in html
    assert f"customer{customer.pk}@example.com" in html
    assert "Ticket created" in html
    assert "Message added" in html
    assert f"Assignee: — → {agent.display_name}" in html  # ids in the trail become names
    assert f'name="version" value="{ticket.version + 2}"' in html


def test_attachments_are_downloadable_by_the_agent(agent, desk, make_ticket):
    from django.core.files.base import ContentFile

    from tickets.attachments import AttachmentInput

    ticket = ticket_services.ticket_create(
        requester=CustomerFactory(),
        subject="With a file",
        body="see file",
        team=agent.teams.first(),
        attachments=[
            AttachmentInput(
                filename="log.txt", content_type="text/plain", content=ContentFile(b"hi")
            )
        ],
    )
    html = desk.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    url = re.search(r'href="(/api/v1/attachments/\d+/download/)"', html).group(1)
    response = desk.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hi"


def test_another_teams_ticket_is_404(other_agent, make_ticket):
    ticket = make_ticket()
    client = desk_client(other_agent)
    response = client.get(f"/desk/tickets/{ticket.pk}/")
    assert response.status_code == 404
    assert b"not in your teams" in response.content
    assert client.post(f"/desk/tickets/{ticket.pk}/reply/", {}).status_code == 404
    assert client.get(f"/desk/tickets/{ticket.pk}/presence/").status_code == 404


def test_ticket_page_queries_are_bounded(agent, desk, make_ticket, tier, django_assert_num_queries):
    office_hours(tier)
    ticket = make_ticket(tags=["vip", "printer"])
    for n in range(20):
        ticket_services.ticket_reply(ticket=ticket, author=agent, body=f"r{n}", public=n % 2 == 0)
        ticket_services.customer_message_add(ticket=ticket, body=f"c{n}")
    for n in range(5):
        make_ticket(f"other {n}")
    ticket_services.ticket_update(ticket=ticket, actor=agent, assignee=agent)
    # session, user, ticket, tags, identities, messages, attachments, events, names in the
    # trail (users, teams), clocks (their policies and calendars from the SLA engine's
    # per-process cache), recent tickets, follow-ups, and the
    # assignee and team choices, the suggested articles (first message, one search) and the
    # header's available/away toggle, the goodwill gestures, the agent's time zone; where a
    # reply goes (the ticket's thread, the customer's identities, their support mailbox: 3)
    with django_assert_num_queries(23) as queries:
        response = desk.get(f"/desk/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith("DECLARE")]
    for n in range(10):  # a longer conversation and trail: the same statements
        ticket_services.ticket_reply(ticket=ticket, author=agent, body=f"more {n}", public=False)
        ticket_services.customer_message_add(ticket=ticket, body=f"more {n}")
    with django_assert_num_queries(len(queries.captured_queries)):
        desk.get(f"/desk/tickets/{ticket.pk}/")
