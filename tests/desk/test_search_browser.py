"""Search in a real browser: "/" focuses the header box from any page, Enter searches, the
results page shows highlighted snippets; screenshots search.png and search-narrow.png."""

from __future__ import annotations

import pytest

from tests.browser import open_page, shoot
from tests.desk.test_browser import sign_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_searches_from_the_keyboard(browser, live_server, agent, make_ticket, other_team):
    wanted = make_ticket("Заказ не пришёл", requester=CustomerFactory(name="Анна Иванова"))
    wanted.messages.update(
        body_text="Здравствуйте! Мой заказ №4471 так и не пришёл, курьер не звонил."
    )
    second = make_ticket("Where is my order?")
    second.messages.update(
        body_text="Order 4471 was paid a week ago; the tracking page shows nothing."
    )
    make_ticket("Заказ другой команды", team_=other_team)
    make_ticket("Printer on fire")

    with open_page(browser, width=1280, height=800) as page:
        sign_in(page, live_server, agent.username)
        page.keyboard.press("/")
        box = page.locator("#desk-search")
        assert box.evaluate("el => el === document.activeElement")
        page.keyboard.type("заказа")
        page.keyboard.press("Enter")
        page.wait_for_url("**/desk/search/?q=*")

        results = page.locator(".search-results li")
        assert results.count() == 1
        assert results.first.locator("mark").first.inner_text() == "Заказ"
        assert "другой команды" not in page.content()
        page.get_by_label("Search tickets").fill("4471")
        page.keyboard.press("Enter")
        page.wait_for_url("**/desk/search/?q=4471")
        assert page.locator(".search-results li").count() == 2
        shoot(page, "search.png")
        page.locator(".search-results a").first.click()
        page.wait_for_url("**/desk/tickets/*/")

    with open_page(browser, width=400, height=800) as narrow:
        sign_in(narrow, live_server, agent.username)
        narrow.goto(f"{live_server.url}/desk/search/?q=order")
        assert narrow.evaluate("document.documentElement.scrollWidth <= 400")
        shoot(narrow, "search-narrow.png")
