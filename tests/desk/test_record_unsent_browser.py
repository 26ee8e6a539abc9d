"""When nothing can carry a public reply (the customer's only address bounces), the desk says
so before sending, refuses a plain send, and offers to record the reply unsent: it is kept on
the ticket marked "Not sent", never shown as sent."""

from __future__ import annotations

import pytest

from outbox.models import State
from tests.browser import open_page, shoot
from tests.desk.test_browser import sign_in
from tickets.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reply_with_no_route_is_refused_then_recorded_unsent(
    browser, live_server, agent, make_ticket, customer
):
    ticket = make_ticket("Parcel arrived crushed")
    identity = customer.identities.get(kind="email")
    identity.undeliverable_at = identity.created_at
    identity.undeliverable_reason = "550 5.1.1 mailbox unavailable"
    identity.save()
    with open_page(browser, width=1280, height=1000) as page:
        sign_in(page, live_server, "alice")
        page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
        route = page.locator("#reply-route")
        assert "cannot go out" in route.inner_text()
        page.locator("#reply_body").fill("I called you: the replacement ships today.")
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector("#reply-form .errorlist")  # refused, the text is kept
        assert page.locator("#reply_body").input_value().startswith("I called you")
        assert not Message.objects.filter(ticket=ticket, direction="outbound").exists()

        page.get_by_label("Record it on the ticket without sending").check()
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector(".messages")
        assert "not sent" in page.locator(".messages").inner_text()
        reply = page.locator("li.msg.outbound").last
        assert "Not sent" in reply.inner_text()
        shoot(page, "reply-recorded-unsent.png")
    message = Message.objects.get(ticket=ticket, direction="outbound")
    assert message.delivery.state == State.UNDELIVERABLE
    assert message.body_text.startswith("I called you")
