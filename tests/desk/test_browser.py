"""The desk in a real browser: Playwright's sync API driving Debian's Chromium (headless)
against pytest-django's live server. Screenshots of what the agent sees go to
var/screenshots/ (ignored by git)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from slas.models import Metric, SlaClock
from tests.browser import open_page, shoot
from tests.factories import ManagerFactory
from tickets.models import Priority, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    with open_page(browser, width=1280, height=800) as page:
        yield page


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/desk/")
    assert "/desk/login/" in page.url  # sign-in required
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")  # the factories' password
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/desk/")


@pytest.fixture
def queue(make_ticket):
    """Three tickets: one breached (low priority, but past due), an urgent one whose clock
    is in its warning zone, and a normal one."""
    now = timezone.now()
    normal = make_ticket("Invoice is missing")
    urgent = make_ticket("Checkout is down", priority=Priority.URGENT)
    SlaClock.objects.filter(ticket=urgent, metric=Metric.FIRST_RESPONSE).update(
        warn_at=now - timedelta(minutes=1), warned_at=now - timedelta(minutes=1)
    )
    breached = make_ticket("Password reset mail never arrives", priority=Priority.LOW)
    SlaClock.objects.filter(ticket=breached, metric=Metric.FIRST_RESPONSE).update(
        started_at=now - timedelta(hours=5),
        segment_started_at=now - timedelta(hours=5),
        due_at=now - timedelta(hours=1),
        warn_at=now - timedelta(hours=2),
        warned_at=now - timedelta(hours=2),
        breached_at=now - timedelta(hours=1),
    )
    Ticket.objects.filter(pk=breached.pk).update(next_due_at=now - timedelta(hours=1))
    return breached, urgent, normal


def test_agent_works_the_queue(page, browser, live_server, agent, queue, team):
    breached, urgent, normal = queue
    sign_in(page, live_server, "alice")

    # The queue, most urgent first; countdowns coloured and live.
    rows = page.locator("tr[data-ticket]")
    order = [int(rows.nth(i).get_attribute("data-ticket")) for i in range(rows.count())]
    assert order == [breached.pk, urgent.pk, normal.pk]
    first = page.locator(f'tr[data-ticket="{breached.pk}"] .countdown')
    assert "sla-breached" in first.get_attribute("class")
    assert first.inner_text().startswith("overdue")
    countdown = page.locator(f'tr[data-ticket="{urgent.pk}"] .countdown')
    assert "sla-warning" in countdown.get_attribute("class")
    before = countdown.inner_text()
    page.wait_for_function(
        "([el, text]) => el.textContent !== text", arg=[countdown.element_handle(), before]
    )
    shoot(page, "queue.png")

    # Get the next ticket: the breached one.
    page.get_by_role("button", name="Get next ticket").first.click()
    page.wait_for_url(f"{live_server.url}/desk/tickets/{breached.pk}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"#{breached.pk}")
    assert "is yours" in page.locator(".messages").inner_text()

    # A colleague opens it too: presence shows who else is here.
    other = browser.new_context(viewport={"width": 400, "height": 800})  # a narrow window
    colleague = other.new_page()
    ManagerFactory(username="mona", first_name="Mona", last_name="Manager")
    sign_in(colleague, live_server, "mona")
    colleague.goto(f"{live_server.url}/desk/tickets/{breached.pk}/")
    page.reload()  # alice's heartbeat is now in; mona's next one sees her
    colleague.reload()
    colleague.locator("#presence").filter(has_text="(viewing)").wait_for()
    shoot(colleague, "ticket-narrow.png")
    other.close()

    # Reply: "r" focuses the reply box.
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply_body"
    page.keyboard.type("Sorry for the wait: a new reset mail is on its way.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{live_server.url}/desk/tickets/{breached.pk}/")
    reply = page.locator("li.msg.outbound").last
    assert "a new reset mail is on its way" in reply.inner_text()
    assert page.locator('tr[data-metric="first_response"] .state').inner_text() == "fulfilled"

    # Pending: waiting on the customer pauses the resolution clock.
    page.locator("#fields-form").get_by_label("Status").select_option("pending")
    page.locator("#fields-form").get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/desk/tickets/{breached.pk}/")
    assert page.locator('tr[data-metric="resolution"] .state').inner_text() == "paused"
    shoot(page, "ticket.png")

    # "n" takes the next ticket: the urgent one.
    page.keyboard.press("n")
    page.wait_for_url(f"{live_server.url}/desk/tickets/{urgent.pk}/")

    # Sign out, from the account menu under the agent's name.
    page.locator("header .account summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/desk/login/$"))
    page.goto(f"{live_server.url}/desk/")
    assert "/desk/login/" in page.url


def test_another_teams_agent_gets_the_404_page(page, live_server, other_agent, make_ticket):
    ticket = make_ticket("Not for Billing")
    sign_in(page, live_server, "olga")
    response = page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    assert "Not for Billing" not in page.content()
    shoot(page, "not-found.png")
