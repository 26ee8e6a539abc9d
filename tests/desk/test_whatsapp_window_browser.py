"""The desk tells the agent about WhatsApp's 24-hour window before sending: past it, the
reply route says only a template can go and offers the channel's templates; the agent picks
one and it leaves through the Cloud API (a local Graph server). Screenshots in
var/screenshots/whatsapp-window-*.png."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from outbox.models import OutboxMessage
from tests.browser import open_page, shoot
from tests.tickets.channels.meta import payloads
from tests.tickets.channels.meta.graph_server import GraphServer
from tickets.channels.config import channel_save
from tickets.channels.meta.signature import sign
from tickets.channels.models import Channel
from tickets.models import Ticket

from .test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def graph(settings):
    server = GraphServer({"EAAwa-token"})
    settings.META_GRAPH_API_BASE = server.base
    yield server
    server.close()


@pytest.fixture
def whatsapp_ticket(team):
    channel = channel_save(
        channel=Channel(),
        kind="whatsapp",
        name="WhatsApp support",
        default_team=team,
        settings={
            "phone_number_id": payloads.PHONE_NUMBER_ID,
            "access_token": "EAAwa-token",
            "app_secret": "s3cret",
            "verify_token": "v",
            "templates": [
                {"name": "ticket_update", "language": "en_US", "text": "We have an update: {{1}}"},
                {"name": "reopen_chat", "language": "lv", "text": "Atbildiet šeit, lai turpinātu."},
            ],
        },
    )
    old = str(int(time.time() - 30 * 3600))
    raw = json.dumps(
        payloads.wa_messages(payloads.wa_text("wamid.BR1", "Where is my parcel?", timestamp=old))
    ).encode()
    response = Client().post(
        f"/api/v1/hooks/whatsapp/{channel.pk}/",
        raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign("s3cret", raw),
    )
    assert response.status_code == 200, response.content
    return Ticket.objects.get()


def test_past_the_window_the_agent_sends_a_template(
    browser, live_server, agent, whatsapp_ticket, graph
):
    with open_page(browser, width=1280, height=900) as page:
        sign_in(page, live_server, "alice")
        page.goto(f"{live_server.url}/desk/tickets/{whatsapp_ticket.pk}/")
        route = page.locator("#reply-route")
        assert "window-closed" in route.get_attribute("class")
        assert "Only a template message can be sent now" in route.inner_text()
        picker = page.get_by_label("Template message")
        assert picker.locator("option").count() == 3
        shoot(page, "whatsapp-window-closed.png")

        # Free text is refused, before anything is written, with the reason on the form.
        page.locator("#reply_body").fill("Sorry for the wait")
        picker.evaluate("el => el.removeAttribute('required')")  # what a stale page would send
        page.get_by_role("button", name="Send").click()
        assert "Only a template message can be sent now" in page.locator("#reply-form").inner_text()
        assert graph.requests == []

        page.get_by_label("Template message").select_option("ticket_update:en_US")
        page.locator("#reply_body").fill("your parcel left Riga today")
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector("text=Reply queued for delivery.")
        assert page.get_by_text("We have an update: your parcel left Riga today").count() >= 1
        shoot(page, "whatsapp-window-template-sent.png")
    [request] = graph.requests
    assert request.json["type"] == "template"
    assert request.json["template"]["components"][0]["parameters"][0]["text"] == (
        "your parcel left Riga today"
    )
    assert OutboxMessage.objects.get(transport="whatsapp").state == "sent"
