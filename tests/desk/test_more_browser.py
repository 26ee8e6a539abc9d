"""Goodwill over the limit -> a manager's approval, bulk assign from the queue, and the
customer page, in Chromium against the live server. Screenshots in var/screenshots/."""

from __future__ import annotations

import re

import pytest

from goodwill.models import Gesture, GestureState, GoodwillLimit
from success.models import PoorExperience
from tests.browser import open_page, shoot
from tests.desk.test_browser import sign_in
from tests.factories import ManagerFactory
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    with open_page(browser, width=1280, height=900) as page:
        yield page


def test_goodwill_over_the_limit_is_approved_by_a_manager(
    browser, page, live_server, agent, make_ticket
):
    GoodwillLimit.objects.create(role="agent", currency="EUR", max_amount=20)
    ticket = make_ticket("Parcel arrived crushed")
    ManagerFactory(username="mona", first_name="Mona")
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
    panel = page.locator("section.goodwill")
    panel.get_by_label("Gesture").select_option("refund")
    panel.get_by_label("Amount").fill("45")
    panel.get_by_label("Currency").fill("EUR")
    panel.get_by_label("Reason").fill("Contents broken; customer sent photos")
    panel.get_by_role("button", name="Record goodwill").click()
    page.wait_for_url(re.compile(rf"/desk/tickets/{ticket.pk}/"))
    assert "above your limit" in page.locator(".messages").inner_text()
    assert page.locator("section.goodwill .gesture-pending").count() == 1
    page.locator("section.goodwill").scroll_into_view_if_needed()
    shoot(page, "goodwill-requested.png")

    with open_page(browser, width=1280, height=800) as manager_page:
        sign_in(manager_page, live_server, "mona")
        manager_page.get_by_role("link", name="Goodwill requests").click()
        row = manager_page.locator("tr[data-gesture]")
        assert row.count() == 1
        assert "45.00 EUR" in row.inner_text()
        shoot(manager_page, "goodwill-requests.png")
        row.get_by_label("Note").fill("Approved, good customer")
        row.get_by_role("button", name="Approve").click()
        manager_page.wait_for_selector(".messages")
        assert "Approved: 45.00 EUR" in manager_page.locator(".messages").inner_text()
        assert "No requests waiting." in manager_page.content()
    gesture = Gesture.objects.get()
    assert gesture.state == GestureState.GRANTED
    page.reload()
    assert page.locator("section.goodwill .gesture-granted").count() == 1
    assert "Goodwill request approved" in page.locator("table.audit").inner_text()


def test_bulk_assign_from_the_queue(page, live_server, agent, make_ticket):
    tickets = [make_ticket(f"Order {n} late") for n in range(3)]
    sign_in(page, live_server, "alice")
    for ticket in tickets[:2]:
        page.locator(f'tr[data-ticket="{ticket.pk}"] .bulk-pick').check()
    assert page.locator("#bulk-count").inner_text() == "2 selected"
    page.locator("#bulk-form").get_by_label("With the selected tickets").select_option("assign")
    page.locator("#bulk-form").get_by_label("Agent").select_option(str(agent.pk))
    shoot(page, "bulk-selected.png")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_selector(".messages")
    assert "2 of 2 tickets updated." in page.locator(".messages").inner_text()
    assert list(Ticket.objects.filter(assignee=agent).order_by("id")) == tickets[:2]

    def assignee(ticket) -> str:  # the row's last cell
        return page.locator(f'tr[data-ticket="{ticket.pk}"] td').last.inner_text().strip()

    assert [assignee(t) for t in tickets] == [agent.display_name, agent.display_name, "—"]
    shoot(page, "bulk-assigned.png")


def test_customer_page_from_the_ticket(browser, page, live_server, agent, make_ticket, customer):
    first = make_ticket("Invoice missing")
    ticket = make_ticket("Parcel arrived crushed")
    identity = customer.identities.first()
    identity.undeliverable_at = identity.created_at
    identity.undeliverable_reason = "550 5.1.1 mailbox unavailable"
    identity.save()
    PoorExperience.objects.create(
        customer=customer,
        kind="reopened",
        ticket=first,
        source_key="t",
        occurred_at=first.created_at,
    )
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
    page.locator("#requester-link").click()
    page.wait_for_url(f"{live_server.url}/desk/customers/{customer.pk}/")
    assert page.locator("h1").inner_text() == customer.name
    sources = page.locator("ol.timeline li[data-source]")
    # newest first; at the same instant the later source (poor experience) comes first
    assert [sources.nth(i).get_attribute("data-source") for i in range(sources.count())] == [
        "ticket",
        "poor_experience",
        "ticket",
    ]
    assert "undeliverable" in page.locator("section[aria-labelledby=identities-title]").inner_text()
    shoot(page, "customer.png")
    with open_page(browser, width=400, height=800) as narrow:
        sign_in(narrow, live_server, "alice")
        narrow.goto(f"{live_server.url}/desk/customers/{customer.pk}/")
        width = narrow.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, width
        shoot(narrow, "customer-400.png")
