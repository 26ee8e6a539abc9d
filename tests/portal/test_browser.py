"""The portal in a real browser (Playwright's sync API, Debian's Chromium, pytest-django's
live server): ask for a link, read it from the outgoing mail, sign in, see the tickets,
reply, and find the reply on the agents' desk with the next-response clock running; open a
ticket in two steps; Persian pages right to left. Screenshots: var/screenshots/portal-*.png."""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass

import pytest
from django.core import mail
from django.utils import timezone

from customers.models import Customer
from portal.auth import COOKIE
from portal.models import PortalSignIn
from portal.services import session_token
from slas.models import Metric, SlaClock
from tests.browser import open_page, shoot
from tests.factories import CustomerFactory
from tests.portal.conftest import LINK
from tickets import services as ticket_services
from tickets.channels.config import channel_save
from tickets.channels.models import Channel
from tickets.models import ChannelKind, Direction, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    with open_page(browser, width=1100, height=800, locale="en-US") as page:
        yield page


@dataclass
class Article:
    title: str
    summary: str
    slug: str

    def get_absolute_url(self) -> str:
        return f"/help/articles/{self.slug}/"


@pytest.fixture
def knowledge(monkeypatch):
    """A stand-in for knowledge/ (another branch) with its documented suggest_articles."""

    def suggest_articles(*, text, locale, customer=None, limit=5):
        return [
            Article(
                "What to do when a parcel arrives damaged",
                "Take two photos and keep the box: we send a replacement within 2 days.",
                "damaged-parcel",
            ),
            Article("Returns and refunds", "Return anything within 30 days.", "returns"),
        ][:limit]

    package, selectors = types.ModuleType("knowledge"), types.ModuleType("knowledge.selectors")
    selectors.suggest_articles = suggest_articles
    package.selectors = selectors
    monkeypatch.setitem(sys.modules, "knowledge", package)
    monkeypatch.setitem(sys.modules, "knowledge.selectors", selectors)


def test_customer_signs_in_replies_and_opens_a_ticket(
    page, browser, live_server, settings, agent, team, tier, customer, colleague, knowledge
):
    settings.PUBLIC_BASE_URL = live_server.url
    channel_save(
        channel=Channel(),
        kind="email",
        name="Support",
        settings={"address": "support@acme.test", "from_name": "Acme Support"},
    )
    ticket = ticket_services.ticket_create(
        requester=customer,
        subject="Lamp arrived with a cracked shade",
        body="Order 1042 came today and the glass shade is cracked.",
        channel=ChannelKind.EMAIL,
        team=team,
    )
    ticket_services.ticket_reply(
        ticket=ticket,
        author=agent,
        body="Internal: check the courier's damage report",
        public=False,
    )
    ticket_services.ticket_reply(
        ticket=ticket,
        author=agent,
        body="Sorry about that! Could you send us a photo of the shade?",
        status="pending",
    )
    ticket_services.ticket_create(
        requester=customer,
        subject="Invoice address change",
        body="Please use our new address.",
        channel=ChannelKind.CHAT,
        team=team,
    )
    ticket_services.ticket_create(
        requester=colleague, subject="Colleague's own question", body="x", team=team
    )

    # Signed out: the portal asks for an address.
    page.goto(f"{live_server.url}/portal/")
    assert page.url == f"{live_server.url}/portal/sign-in/"
    shoot(page, "portal-sign-in.png")
    page.get_by_label("Your email address").fill("kim@acme.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    shoot(page, "portal-link-sent.png")

    # The link, from the mail that left through Django's email backend.
    # (the agent's reply went out by email too)
    [sent] = [m for m in mail.outbox if m.subject == "Your sign-in link to the support portal"]
    assert sent.to == ["kim@acme.example"]
    assert sent.from_email == "Acme Support <support@acme.test>"
    link = LINK.search(sent.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    rows = page.locator("li.ticket-row")
    subjects = [rows.nth(i).locator(".subject").inner_text() for i in range(rows.count())]
    assert sorted(subjects) == ["Invoice address change", "Lamp arrived with a cracked shade"]
    assert "Waiting for your reply" in page.locator(f'[data-ticket="{ticket.pk}"]').inner_text()
    shoot(page, "portal-home.png")

    # The conversation (public only) and a reply.
    page.get_by_role("link", name=re.compile("Lamp arrived")).click()
    page.wait_for_url(f"{live_server.url}/portal/tickets/{ticket.pk}/")
    conversation = page.locator("ol.conversation").inner_text()
    assert "Could you send us a photo" in conversation
    assert "courier's damage report" not in conversation
    page.get_by_label("Your reply").fill("Here it is: the crack runs across the whole shade.")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url(re.compile(rf".*/portal/tickets/{ticket.pk}/(#latest)?$"))
    latest = page.locator("li.msg").last
    assert "the crack runs across the whole shade" in latest.inner_text()
    assert latest.locator(".msg-head strong").inner_text() == "You"
    shoot(page, "portal-ticket.png")

    # What the reply did: a customer message, the ticket open again, next response running.
    message = ticket.messages.order_by("-id").first()
    assert (message.direction, message.author_customer_id) == (Direction.INBOUND, customer.pk)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    clock = SlaClock.objects.get(ticket=ticket, metric=Metric.NEXT_RESPONSE)
    assert clock.fulfilled_at is None
    assert clock.due_at > timezone.now()

    # On the desk, the agent sees it.
    desk = browser.new_context(viewport={"width": 1280, "height": 800})
    agent_page = desk.new_page()
    agent_page.goto(f"{live_server.url}/desk/login/")
    agent_page.get_by_label("Username").fill("alice")
    agent_page.get_by_label("Password").fill("pw")
    agent_page.get_by_role("button", name="Sign in").click()
    agent_page.wait_for_url(f"{live_server.url}/desk/")
    agent_page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
    assert "the crack runs across the whole shade" in agent_page.locator("li.msg").last.inner_text()
    assert agent_page.locator('tr[data-metric="next_response"] .state').inner_text() == "running"
    shoot(agent_page, "portal-desk-ticket.png")
    desk.close()

    # A phone-sized window.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    shoot(page, "portal-ticket-narrow.png")
    page.set_viewport_size({"width": 1100, "height": 800})

    # A new ticket: describe, see suggestions, send.
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Second lamp also damaged")
    page.get_by_label("What happened?").fill(
        "The replacement lamp arrived with a dent in the base."
    )
    page.get_by_role("button", name="Next").click()
    page.get_by_role("heading", name="These articles may answer your question").wait_for()
    assert page.get_by_role("link", name="What to do when a parcel arrives damaged").count() == 1
    assert page.get_by_label("Subject").input_value() == "Second lamp also damaged"
    shoot(page, "portal-new-ticket.png")
    page.get_by_role("button", name="Send ticket").click()
    page.wait_for_url(re.compile(r".*/portal/tickets/\d+/$"))
    new = Ticket.objects.get(subject="Second lamp also damaged")
    assert (new.requester_id, new.channel) == (customer.pk, ChannelKind.WEB)
    assert "dent in the base" in page.locator("ol.conversation").inner_text()

    # Sign out: the portal asks for an address again.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/portal/sign-in/")
    page.goto(f"{live_server.url}/portal/tickets/{ticket.pk}/")
    assert page.url == f"{live_server.url}/portal/sign-in/"


def test_persian_customer_reads_the_portal_right_to_left(browser, live_server, team, tier):
    customer = CustomerFactory(name="مریم احمدی", email="maryam@example.ir")
    Customer.objects.filter(pk=customer.pk).update(locale="fa")
    ticket_services.ticket_create(
        requester=customer,
        subject="سفارش ۱۰۴۲ نرسیده است",
        body="سلام، بسته هنوز نرسیده.",
        team=team,
    )
    now = timezone.now()
    sign_in = PortalSignIn.objects.create(
        customer=customer, email="maryam@example.ir", expires_at=now, used_at=now
    )
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    context.add_cookies(
        [{"name": COOKIE, "value": session_token(sign_in), "url": f"{live_server.url}/portal/"}]
    )
    page = context.new_page()

    page.goto(f"{live_server.url}/portal/")

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    assert page.get_by_role("heading", level=1).inner_text() == "درخواست‌های من"
    shoot(page, "portal-home-fa.png")
    context.close()
