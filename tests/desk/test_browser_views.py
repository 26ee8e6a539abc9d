"""The desk's views, profile and narrow ticket page in a real browser (Chromium through
Playwright, against the live server). Screenshots: var/screenshots/views*.png,
profile-ru.png, ticket-400.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from slas.models import Metric, SlaClock
from tests.browser import open_page, shoot
from tickets import services as ticket_services
from tickets.models import Priority
from tickets.status import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username: str = "alice") -> None:
    page.goto(f"{live_server.url}/desk/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/desk/")


@pytest.fixture
def tickets(agent, make_ticket):
    pending = [
        ticket_services.ticket_update(
            ticket=make_ticket(f"Waiting on the customer {n}"), actor=agent, status=Status.PENDING
        )
        for n in range(2)
    ]
    mine = ticket_services.ticket_update(
        ticket=make_ticket("Refund for order 1001", priority=Priority.HIGH),
        actor=agent,
        assignee=agent,
    )
    late = make_ticket("Password reset mail never arrives", priority=Priority.LOW)
    now = timezone.now()
    SlaClock.objects.filter(ticket=late, metric=Metric.FIRST_RESPONSE).update(
        due_at=now - timedelta(hours=1), breached_at=now - timedelta(hours=1)
    )
    return {"pending": pending, "mine": mine, "late": late}


def test_agent_opens_views_with_counts_and_saves_one(browser, live_server, agent, tickets):
    with open_page(browser, width=1280, height=800) as page:
        sign_in(page, live_server)
        nav = page.locator("nav.views-nav")
        assert nav.locator('li[data-view="pending"] .count').inner_text() == "2"
        assert nav.locator('li[data-view="mine"] .count').inner_text() == "1"
        assert nav.locator('li[data-view="breached"] .count').inner_text() == "1"
        shoot(page, "views-queue.png")

        nav.get_by_role("link", name="Pending").click()
        page.wait_for_url(f"{live_server.url}/desk/views/pending/")
        rows = page.locator("tr[data-ticket]")
        assert rows.count() == 2
        assert page.locator("h1").inner_text() == "Pending"

        # Narrow it, sort by last update, and keep it as a personal view.
        page.locator("#view_channel").select_option("email")
        page.locator("#view_sort").select_option("updated")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**/desk/views/pending/?*")
        page.locator("details.save-view summary").click()
        page.locator("#save-name").fill("Pending email")
        page.get_by_role("button", name="Save view").click()
        page.wait_for_url("**/desk/saved-views/*/")
        assert page.locator("h1").inner_text() == "Pending email"
        assert page.locator("tr[data-ticket]").count() == 2
        saved = page.locator("nav.views-nav li", has_text="Pending email")
        assert saved.locator(".count").inner_text() == "2"
        shoot(page, "views-saved.png")


def test_agent_switches_the_desk_to_russian(browser, live_server, agent, tickets):
    with open_page(browser, width=1280, height=800) as page:
        sign_in(page, live_server)
        page.locator("header .account summary").click()
        page.get_by_role("link", name="Profile").click()
        page.wait_for_url(f"{live_server.url}/desk/profile/")
        page.locator("#id_language").select_option("ru")
        page.locator("#id_time_zone").select_option("Europe/Moscow")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(f"{live_server.url}/desk/profile/")
        assert page.locator("html").get_attribute("lang") == "ru"
        assert "Профиль сохранён." in page.locator(".messages").inner_text()
        shoot(page, "profile-ru.png")
        page.get_by_role("link", name="Очередь").click()
        assert page.locator("h1").inner_text() == "Ваша очередь"
        page.locator("header .account summary").click()  # the account menu names the zone
        assert "Europe/Moscow" in page.locator("header .account").inner_text()
        shoot(page, "queue-ru.png")
        page.locator(f'tr[data-ticket="{tickets["mine"].pk}"] a').click()
        page.wait_for_url(f"{live_server.url}/desk/tickets/{tickets['mine'].pk}/")
        assert page.get_by_role("heading", name="Журнал изменений").is_visible()
        shoot(page, "ticket-ru.png")


def test_ticket_page_fits_400_px(browser, live_server, agent, tickets):
    ticket = tickets["mine"]
    ticket_services.ticket_reply(
        ticket=ticket,
        author=agent,
        body="A long line without spaces: " + "x" * 120,
        public=False,
    )
    ticket_services.ticket_update(ticket=ticket, actor=agent, tags=["refund", "order-1001"])
    with open_page(browser, width=400, height=800) as page:
        sign_in(page, live_server)
        page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
        assert page.locator("svg[data-icon=mail]").first.is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the page is {width}px wide"
        shoot(page, "ticket-400.png")
        page.goto(f"{live_server.url}/desk/views/pending/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the view page is {width}px wide"
        shoot(page, "views-400.png")
