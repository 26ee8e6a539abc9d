"""Every channel kind in the desk's queue, in a real browser: an inline SVG icon drawn from
the kind's adapter (no emoji, which render differently per system or not at all) and its
label beside it."""

from __future__ import annotations

import pytest

from tests.browser import open_page, shoot
from tickets.channels import registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_queue_shows_each_channel_as_an_svg_icon_and_its_label(
    browser, live_server, agent, make_ticket
):
    tickets = {
        a.kind: make_ticket(f"Question by {a.kind}", channel=a.kind) for a in registry.adapters()
    }
    with open_page(browser, width=1280, height=800) as page:
        page.goto(f"{live_server.url}/desk/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/desk/")
        for kind, ticket in tickets.items():
            cell = page.locator(f'tr[data-ticket="{ticket.pk}"] td:has(.channel)')
            icon = cell.locator("svg.icon")
            assert icon.get_attribute("data-icon") == registry.adapter(kind).icon
            assert icon.bounding_box()["width"] == 16  # drawn, not an empty box
            assert cell.inner_text().strip() == str(registry.adapter(kind).label)
        shoot(page, "queue-channels.png")
        page.goto(f"{live_server.url}/desk/tickets/{tickets['chat'].pk}/")
        badge = page.locator("header .badge, .badge").filter(has_text="Live chat").first
        assert badge.locator("svg.icon").get_attribute("data-icon") == "chat"
        shoot(page, "ticket-chat-badge.png")
