"""New ticket from the desk in Chromium: the header link, a phone call recorded on behalf of
a new customer, then a refused outreach (nobody to reach) and a sent one with a file.
Screenshots in var/screenshots/."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from outbox.models import OutboxMessage
from tests.browser import open_page, shoot
from tests.desk.test_browser import sign_in
from tests.factories import CustomerFactory
from tests.tickets.channels.conftest import make_channel
from tickets.channels.models import ChannelThread
from tickets.models import Ticket, TicketKind
from tickets.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    with open_page(browser, width=1280, height=1000) as page:
        yield page


def _fill(page, *, subject: str, body: str, email: str = "", phone: str = "") -> None:
    page.get_by_label("Customer's email").fill(email)
    page.get_by_label("Customer's phone").fill(phone)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message", exact=True).fill(body)


def test_agent_records_a_call_then_reaches_out_with_a_file(page, live_server, agent, team):
    make_channel("email", "Support mailbox", address="support@acme.test")
    sign_in(page, live_server, "alice")
    page.get_by_role("link", name="New ticket").click()
    page.wait_for_url(re.compile(r"/desk/tickets/new/$"))
    shoot(page, "new-ticket-form.png")

    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Customer's name").fill("Vera Caller")
    page.get_by_label("Priority").select_option("3")
    _fill(page, subject="Vase arrived broken", body="Called: pieces in the box.", phone="+4930555")
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_url(re.compile(r"/desk/tickets/\d+/$"))
    called = Ticket.objects.get()
    assert "opened for the customer" in page.locator(".messages").inner_text()
    assert called.kind == TicketKind.REACTIVE
    assert called.requester.name == "Vera Caller"
    shoot(page, "new-ticket-opened.png")

    page.get_by_role("link", name="New ticket").click()
    page.get_by_label("Reach out (we write first)").check()
    page.get_by_label("Channel").select_option("email")
    _fill(page, subject="Your replacement", body="It ships today.", phone="+4930555")
    page.get_by_role("button", name="Open ticket").click()
    assert "Nothing can reach this customer" in page.locator("#new-ticket-form").inner_text()
    assert Ticket.objects.count() == 1
    shoot(page, "new-ticket-unreachable.png")

    page.get_by_label("Customer's email").fill("vera@example.com")
    page.get_by_label("Attachments").set_input_files(
        {"name": "label.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 label"}
    )
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_url(re.compile(r"/desk/tickets/\d+/$"))
    assert "queued for delivery" in page.locator(".messages").inner_text()
    outreach = Ticket.objects.get(kind=TicketKind.PROACTIVE)
    assert outreach.requester == called.requester  # found by the phone, the email added
    row = OutboxMessage.objects.get()
    assert row.recipient == "vera@example.com"
    assert [a["filename"] for a in row.payload["attachments"]] == ["label.pdf"]
    shoot(page, "new-ticket-outreach.png")


def test_reply_with_a_file_and_the_live_chat_warning(browser, live_server, agent, team, settings):
    make_channel("email", "Support mailbox", address="support@acme.test")
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    chat = make_channel(
        "chat",
        "Website chat",
        widget_id="w-1",
        webhook_url="http://127.0.0.1:9/chat",
        webhook_secret="chat-secret",
    )
    customer = CustomerFactory(email="kim@example.com")
    by_email = ticket_create(requester=customer, subject="Label", body="Need a label", team=team)
    thread = ChannelThread(channel=chat, key="conv-9", last_message_at=timezone.now())
    on_chat = ticket_create(
        requester=customer, subject="Chat", body="hi", channel="chat", team=team, thread=thread
    )
    with open_page(browser, width=400, height=900) as page:
        sign_in(page, live_server, "alice")
        page.goto(f"{live_server.url}/desk/tickets/{by_email.pk}/")
        page.locator("#reply_body").fill("Your return label.")
        page.locator("#reply_attachments").set_input_files(
            {"name": "label.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 label"}
        )
        page.locator("#reply-form").scroll_into_view_if_needed()
        shoot(page, "reply-with-file.png")
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector(".messages")
        assert "Reply queued for delivery." in page.locator(".messages").inner_text()
        assert "label.pdf" in page.locator(".conversation, main").first.inner_text()

        page.goto(f"{live_server.url}/desk/tickets/{on_chat.pk}/")
        note = page.locator("#reply-files-refused")
        assert "Live chat" in note.inner_text()
        note.scroll_into_view_if_needed()
        shoot(page, "reply-chat-files-refused.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
