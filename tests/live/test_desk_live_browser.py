"""The desk live, in Chromium. The ticket page of a chat ticket: the page is served by uvicorn
(config.asgi, its socket at /ws/desk/); a customer message arrives through the inbound chat
door (handled by this test process: another process than the page's server) and the page shows
it without a reload; the visitor's typing shows "Customer is typing…" and goes away. The queue
shows a ticket created meanwhile long before its 15 s poll would."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.utils import timezone

from live import groups
from live.publish import publish
from tests.browser import open_page, shoot
from tests.tickets.channels.conftest import make_channel
from tickets import services
from tickets.channels.models import InboundMessage

from .conftest import session_cookie
from .servers import uvicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def chat(client, text: str, n: int) -> InboundMessage:
    payload = {
        "conversation_id": "conv-live-1",
        "message_id": f"m-{n}",
        "visitor": {"id": "visitor-7", "name": "Vera Visitor"},
        "text": text,
    }
    response = client.post("/api/v1/inbound/chat/", payload, format="json")
    assert response.status_code == 202, response.content
    return InboundMessage.objects.get(pk=response.json()["id"])


def test_a_chat_message_appears_on_the_open_ticket_page_without_reload(
    browser, agent, team, integration_client
):
    make_channel("chat", "Website chat", widget_id="w-1")
    ticket = chat(integration_client, "Hi, my order 1042 has not arrived", 1).ticket
    if ticket.team_id != team.pk:
        services.ticket_update(ticket=ticket, actor=agent, team=team)
    name, value = session_cookie(agent).split("=", 1)
    with uvicorn() as server, open_page(browser, width=1280, height=900) as page:
        page.context.add_cookies([{"name": name, "value": value, "url": server}])
        page.goto(f"{server}/desk/tickets/{ticket.pk}/")
        assert name == settings.SESSION_COOKIE_NAME
        page.wait_for_selector("html[data-live='on']")  # subscribed
        page.evaluate("window.__notReloaded = true")
        assert page.locator("ol.conversation li.msg").count() == 1

        started = time.monotonic()
        second = chat(integration_client, "Is anyone there? It was due on Monday.", 2)
        page.wait_for_selector("text=Is anyone there? It was due on Monday.", timeout=5000)
        elapsed = time.monotonic() - started
        assert page.evaluate("window.__notReloaded") is True
        assert page.locator("ol.conversation li.msg").count() == 2
        assert (
            page.locator(f"#message-{second.message_id} .kind").inner_text().startswith("Customer")
        )

        publish(
            groups.ticket(ticket.pk), {"type": "typing", "from": "visitor", "ticket": ticket.pk}
        )
        typing = page.locator("p.typing")
        typing.wait_for(state="visible")
        assert typing.inner_text() == "Customer is typing…"
        shoot(page, "desk-live-chat.png")
        typing.wait_for(state="hidden", timeout=6000)  # after 4 s of silence
    assert elapsed < 5, elapsed


def test_the_queue_shows_a_new_ticket_without_waiting_for_the_poll(
    browser, agent, team, make_ticket
):
    make_ticket("Invoice is missing")
    name, value = session_cookie(agent).split("=", 1)
    with uvicorn() as server, open_page(browser, width=1280, height=800) as page:
        page.context.add_cookies([{"name": name, "value": value, "url": server}])
        page.goto(f"{server}/desk/")
        page.wait_for_selector("html[data-live='on']")
        page.evaluate("window.__notReloaded = true")
        assert page.locator("#queue-rows tr").count() == 1
        unassigned = page.locator("#views-nav li[data-view='unassigned'] .count")
        assert unassigned.inner_text() == "1"
        started = time.monotonic()
        make_ticket("Checkout is down for everyone")
        page.wait_for_selector("#queue-rows >> text=Checkout is down for everyone", timeout=10000)
        elapsed = time.monotonic() - started
        assert page.evaluate("window.__notReloaded") is True
        # the views' counts follow the rows (swapped with them, out of band)
        assert unassigned.inner_text() == "2"
        shoot(page, "desk-live-queue.png")
    assert elapsed < 5, elapsed  # the rows' own poll is every 15 s


class UnreachableBackend:
    """A mail server that is down for now (connection refused: a transient failure)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("[Errno 111] Connection refused")


def test_a_replys_delivery_line_follows_its_outbox_row_without_reload(
    browser, agent, make_ticket, settings
):
    from outbox import services as outbox
    from outbox.models import OutboxMessage, State
    from tests.factories import CustomerFactory

    kim = CustomerFactory(name="Kim Lee", email="kim@example.com")
    ticket = make_ticket("Refund for order 1042", requester=kim)
    settings.EMAIL_BACKEND = "tests.live.test_desk_live_browser.UnreachableBackend"
    reply = services.ticket_reply(ticket=ticket, author=agent, body="Your refund is on its way.")
    row = OutboxMessage.objects.get(message=reply)
    assert (row.state, row.attempts) == (State.QUEUED, 1)  # its first attempt failed

    name, value = session_cookie(agent).split("=", 1)
    with uvicorn() as server, open_page(browser, width=1280, height=900) as page:
        page.context.add_cookies([{"name": name, "value": value, "url": server}])
        page.goto(f"{server}/desk/tickets/{ticket.pk}/")
        page.wait_for_selector("html[data-live='on']")
        page.evaluate("window.__notReloaded = true")
        line = page.locator(f"#message-{reply.pk} .delivery")
        assert line.get_attribute("data-delivery-state") == "queued"
        assert "Connection refused" in line.inner_text()

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # back up
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        outbox.outbox_send_now(row.pk)  # as the worker's next attempt would
        page.wait_for_selector(f"#message-{reply.pk} .delivery-sent", timeout=5000)
        assert "Sent" in page.locator(f"#message-{reply.pk} .delivery-badge").inner_text()

        row.refresh_from_db()
        outbox.outbox_provider_status(
            transport="email", provider_id=row.provider_id, status="delivered"
        )
        badge = page.locator(f"#message-{reply.pk} .delivery-badge")
        page.wait_for_function(
            "id => document.querySelector(`#message-${id} .delivery-badge`)"
            ".textContent.trim() === 'Delivered'",
            arg=reply.pk,
            timeout=5000,
        )
        assert page.evaluate("window.__notReloaded") is True
        assert badge.inner_text() == "Delivered"
        shoot(page, "desk-live-delivery.png")


def test_without_its_socket_the_page_polls_then_reconnects(
    browser, agent, team, integration_client
):
    """The socket goes down (closed by the network, and refused while it is down): the page
    says it is off, keeps showing new messages by its 15 s poll, and when the socket can be
    opened again reconnects by itself (backoff) and is live again."""
    make_channel("chat", "Website chat", widget_id="w-1")
    ticket = chat(integration_client, "Hi, my order 1042 has not arrived", 1).ticket
    if ticket.team_id != team.pk:
        services.ticket_update(ticket=ticket, actor=agent, team=team)
    network = {"down": False, "open": []}

    def through(ws) -> None:
        if network["down"]:
            ws.close()
            return
        ws.connect_to_server()
        network["open"].append(ws)

    name, value = session_cookie(agent).split("=", 1)
    with uvicorn() as server, open_page(browser, width=1280, height=900) as page:
        page.context.add_cookies([{"name": name, "value": value, "url": server}])
        page.route_web_socket("**/ws/desk/", through)
        page.goto(f"{server}/desk/tickets/{ticket.pk}/")
        page.wait_for_selector("html[data-live='on']")
        page.evaluate("window.__notReloaded = true")

        network["down"] = True
        for ws in network["open"]:
            ws.close()
        page.wait_for_selector("html[data-live='off']")
        chat(integration_client, "Still nothing, and the socket is down", 2)
        page.wait_for_selector("text=Still nothing, and the socket is down", timeout=20000)

        network["down"] = False  # reachable again: the next attempt (<= 30 s backoff) gets in
        page.wait_for_selector("html[data-live='on']", timeout=35000)
        started = time.monotonic()
        chat(integration_client, "Back online?", 3)
        page.wait_for_selector("text=Back online?", timeout=5000)
        assert time.monotonic() - started < 5  # pushed, not polled
        assert page.evaluate("window.__notReloaded") is True
        assert page.locator("ol.conversation li.msg").count() == 3
