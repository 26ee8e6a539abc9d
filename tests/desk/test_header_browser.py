"""The desk's header on a laptop screen: a manager with a long name still gets one row of
navigation (nothing wraps under the brand), and the whole name is there on hover."""

from __future__ import annotations

import pytest

from tests.browser import open_page, shoot
from tests.desk.test_browser import sign_in
from tests.factories import ManagerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = ("Maximiliane-Alexandrina", "Wolkenstein-Trostburg von Hohenfels")


@pytest.mark.parametrize("width", [1280, 1440])
def test_header_is_one_row_with_a_long_name(browser, live_server, width):
    ManagerFactory(username="maxi", first_name=LONG_NAME[0], last_name=LONG_NAME[1])
    with open_page(browser, width=width, height=800) as page:
        sign_in(page, live_server, "maxi")
        page.goto(f"{live_server.url}/desk/")
        items = page.locator("header.top nav > ul > li")
        boxes = [items.nth(i).bounding_box() for i in range(items.count())]
        middles = [box["y"] + box["height"] / 2 for box in boxes]
        shoot(page, f"header-{width}.png")
        assert max(middles) - min(middles) < 4, f"the navigation wraps at {width} px: {middles}"
        header = page.locator("header.top").bounding_box()
        assert header["height"] < 64
        who = page.locator("header.top .who")
        assert who.get_attribute("title") == f"{LONG_NAME[0]} {LONG_NAME[1]}"
        who.click()  # the account menu opens under the name
        page.get_by_role("link", name="Profile").wait_for()
        shoot(page, f"header-{width}-menu.png")
        assert page.get_by_role("button", name="Sign out").is_visible()
