"""What a signed-in customer sees and does in the portal, and what a portal session is not."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from portal.auth import COOKIE, HELP_COOKIE
from slas.models import Metric, SlaClock
from success.models import Survey
from tests.factories import ArticleFactory, TierFactory, UserFactory
from tests.portal.conftest import portal_client
from tickets import services as ticket_services
from tickets.models import ChannelKind, Direction, Ticket, TicketKind
from tickets.status import Status

pytestmark = pytest.mark.django_db


def test_customer_sees_their_tickets_from_every_channel(portal, customer, open_ticket):
    by_mail = open_ticket(customer, "Parcel arrived damaged", channel=ChannelKind.EMAIL)
    by_chat = open_ticket(customer, "Where is order 1042?", channel=ChannelKind.CHAT)
    by_phone = open_ticket(customer, "Call back about invoice", channel=ChannelKind.PHONE)

    page = portal.get("/portal/").content.decode()

    for ticket in (by_mail, by_chat, by_phone):
        assert f'data-ticket="{ticket.pk}"' in page
        assert ticket.subject in page


def test_another_customers_ticket_is_not_found(portal, stranger, colleague, open_ticket):
    theirs = open_ticket(stranger, "Refund for Sam")
    colleagues = open_ticket(colleague, "Delivery for Ravi")

    home = portal.get("/portal/").content.decode()
    pages = [portal.get(f"/portal/tickets/{t.pk}/") for t in (theirs, colleagues)]
    reply = portal.post(f"/portal/tickets/{theirs.pk}/reply/", {"body": "Let me in"})

    assert "Refund for Sam" not in home
    assert "Delivery for Ravi" not in home
    assert [p.status_code for p in pages] == [404, 404]
    assert reply.status_code == 404
    assert theirs.messages.count() == 1


def test_organization_contact_sees_the_organizations_tickets(customer, colleague, open_ticket):
    colleagues = open_ticket(colleague, "Delivery for Ravi")
    customer.is_organization_contact = True
    customer.save()
    browser = portal_client(customer)

    home = browser.get("/portal/").content.decode()
    page = browser.get(f"/portal/tickets/{colleagues.pk}/")

    assert "Tickets of Acme Logistics" in home
    assert "Delivery for Ravi" in home
    assert page.status_code == 200
    assert "Ravi Rao" in page.content.decode()


def test_conversation_shows_public_messages_never_internal_notes(
    portal, customer, open_ticket, agent
):
    ticket = open_ticket(customer)
    ticket_services.ticket_reply(
        ticket=ticket, author=agent, body="Customer sounds angry, offer 10%", public=False
    )
    ticket_services.ticket_reply(
        ticket=ticket, author=agent, body="Sorry! A new lamp is on its way."
    )

    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()

    assert "A new lamp is on its way." in page
    assert "The box was crushed" in page
    assert "offer 10%" not in page
    assert "(support)" in page


def test_internal_brief_of_an_outreach_ticket_is_not_shown(portal, customer, agent, team):
    ticket_services.ticket_create(
        requester=customer,
        subject="At risk: call Kim about the breaches",
        body="Two breaches this month; be nice.",
        kind=TicketKind.PROACTIVE,
        actor=agent,
        team=team,
        public=False,
    )

    home = portal.get("/portal/").content.decode()

    assert "At risk" not in home


def test_reply_is_a_customer_message_that_restarts_next_response(
    portal, customer, open_ticket, agent
):
    ticket = open_ticket(customer)
    ticket_services.ticket_reply(
        ticket=ticket, author=agent, body="Can you send a photo?", status="pending"
    )

    response = portal.post(
        f"/portal/tickets/{ticket.pk}/reply/", {"body": "Photo is attached to my email."}
    )

    assert response.status_code == 302
    message = ticket.messages.order_by("-id").first()
    assert (message.direction, message.author_customer, message.is_public) == (
        Direction.INBOUND,
        customer,
        True,
    )
    assert message.channel == ChannelKind.WEB
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # pending -> open: the customer answered
    clock = SlaClock.objects.get(ticket=ticket, metric=Metric.NEXT_RESPONSE)
    assert clock.fulfilled_at is None
    assert clock.due_at > timezone.now()
    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Photo is attached to my email." in page


def test_empty_reply_is_a_400_and_writes_nothing(portal, customer, open_ticket):
    ticket = open_ticket(customer)

    response = portal.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "   "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert ticket.messages.count() == 1


def test_reply_to_a_closed_ticket_is_refused(portal, customer, open_ticket, agent):
    ticket = open_ticket(customer)
    ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED)
    ticket_services.ticket_update(ticket=ticket, actor=agent, status=Status.CLOSED)

    response = portal.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "One more thing"})

    assert response.status_code == 409
    assert "This ticket is closed" in response.content.decode()
    assert ticket.messages.count() == 1


@dataclass
class Article:
    title: str
    summary: str
    slug: str

    def get_absolute_url(self) -> str:
        return f"/help/articles/{self.slug}/"


@pytest.fixture
def knowledge(monkeypatch):
    """knowledge/ is another app (not in this branch): a stand-in module with its
    documented `suggest_articles(*, text, locale, customer=None, limit=5)`."""
    calls = []

    def suggest_articles(*, text, locale, customer=None, limit=5):
        calls.append({"text": text, "locale": locale, "customer": customer, "limit": limit})
        return [Article("Reporting a damaged parcel", "Photos and the order number.", "damaged")]

    package = types.ModuleType("knowledge")
    selectors = types.ModuleType("knowledge.selectors")
    selectors.suggest_articles = suggest_articles
    package.selectors = selectors
    monkeypatch.setitem(sys.modules, "knowledge", package)
    monkeypatch.setitem(sys.modules, "knowledge.selectors", selectors)
    return calls


NEW = {"subject": "Lamp broken in transit", "body": "Order 1042: the lamp arrived broken."}


def test_new_ticket_shows_suggestions_before_it_is_sent(portal, customer, knowledge):
    step2 = portal.post("/portal/tickets/new/", {**NEW, "action": "next"})

    page = step2.content.decode()
    assert step2.status_code == 200
    assert "Reporting a damaged parcel" in page
    assert 'href="/help/articles/damaged/"' in page
    assert "This solved it" in page
    assert knowledge == [
        {
            "text": "Lamp broken in transit\nOrder 1042: the lamp arrived broken.",
            "locale": "en-us",
            "customer": customer,
            "limit": 5,
        }
    ]
    assert Ticket.objects.count() == 0


def test_this_solved_it_opens_no_ticket(portal, customer, knowledge):
    response = portal.post("/portal/tickets/new/", {**NEW, "action": "solved"})

    assert response.status_code == 200
    assert "Glad that helped" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_new_ticket_is_sent_on_the_web_channel(portal, customer, team):
    response = portal.post("/portal/tickets/new/", {**NEW, "action": "submit"})

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert (ticket.requester, ticket.channel, ticket.subject) == (
        customer,
        ChannelKind.WEB,
        "Lamp broken in transit",
    )
    assert list(ticket.tags.values_list("name", flat=True)) == ["portal"]
    assert SlaClock.objects.filter(ticket=ticket, metric=Metric.FIRST_RESPONSE).exists()


def test_without_the_knowledge_app_the_second_step_shows_no_suggestions(portal, customer):
    response = portal.post("/portal/tickets/new/", {**NEW, "action": "next"})

    assert response.status_code == 200
    assert "We found no article about this." in response.content.decode()
    assert "This solved it" not in response.content.decode()


def test_new_ticket_without_a_description_is_a_400(portal, customer):
    response = portal.post(
        "/portal/tickets/new/", {"subject": "Help", "body": "", "action": "submit"}
    )

    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_pending_survey_is_offered_on_the_home_page(portal, customer, open_ticket, stranger):
    ticket = open_ticket(customer, "Invoice wrong")
    now = timezone.now()
    Survey.objects.create(
        ticket=ticket, customer=customer, sent_at=now, expires_at=now + timedelta(days=3)
    )
    other = open_ticket(stranger, "Order of Sam")
    Survey.objects.create(
        ticket=other, customer=stranger, sent_at=now, expires_at=now + timedelta(days=3)
    )

    page = portal.get("/portal/").content.decode()

    assert "Waiting for your answer" in page
    assert "How did we do with “Invoice wrong”?" in page
    assert "http://localhost:8000/surveys/" in page
    assert "Order of Sam" not in page


def test_an_agents_desk_session_is_not_a_customer(customer, agent, open_ticket):
    ticket = open_ticket(customer)
    desk = Client()
    desk.force_login(agent)

    home = desk.get("/portal/")
    page = desk.get(f"/portal/tickets/{ticket.pk}/")
    reply = desk.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "as the customer"})

    assert [r.status_code for r in (home, page, reply)] == [302, 302, 302]
    assert home["Location"] == "/portal/sign-in/"
    assert ticket.messages.count() == 1


def test_a_portal_session_opens_neither_desk_nor_admin(portal, customer, open_ticket):
    ticket = open_ticket(customer)
    UserFactory(username="mona", role="manager", is_staff=True, is_superuser=True)

    desk = portal.get("/desk/")
    desk_ticket = portal.get(f"/desk/tickets/{ticket.pk}/")
    admin = portal.get("/admin/")

    assert desk.status_code == desk_ticket.status_code == admin.status_code == 302
    assert desk["Location"].startswith("/desk/login/")
    assert admin["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in portal.session


def test_signed_out_visitor_is_sent_to_sign_in(client, customer, open_ticket):
    ticket = open_ticket(customer)

    responses = [client.get("/portal/"), client.get(f"/portal/tickets/{ticket.pk}/")]

    assert [r["Location"] for r in responses] == ["/portal/sign-in/"] * 2


def test_home_page_costs_a_constant_number_of_queries(
    portal, customer, open_ticket, django_assert_max_num_queries
):
    for n in range(12):
        open_ticket(customer, f"Question {n}")

    with django_assert_max_num_queries(5):
        response = portal.get("/portal/")

    assert response.content.decode().count("data-ticket=") == 12


def test_attachments_of_the_public_conversation_download_and_others_do_not(
    portal, customer, stranger, open_ticket, agent
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.attachments import AttachmentInput

    def attach(name):
        return [
            AttachmentInput(name, SimpleUploadedFile(name, b"%PDF-1.4 label"), "application/pdf")
        ]

    ticket = open_ticket(customer)
    public = ticket_services.ticket_reply(
        ticket=ticket, author=agent, body="Your return label", attachments=attach("label.pdf")
    )
    note = ticket_services.ticket_reply(
        ticket=ticket, author=agent, body="courier", public=False, attachments=attach("claim.pdf")
    )
    theirs = open_ticket(stranger, attachments=attach("sams-invoice.pdf"))
    ids = [m.attachments.get().pk for m in (public, note, theirs.messages.get())]

    page = portal.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    label, internal, other = (portal.get(f"/portal/attachments/{pk}/") for pk in ids)

    assert f'href="/portal/attachments/{ids[0]}/"' in page
    assert "claim.pdf" not in page
    assert label.status_code == 200
    assert b"".join(label.streaming_content) == b"%PDF-1.4 label"
    assert label["Content-Disposition"].startswith("attachment;")
    assert label["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert (internal.status_code, other.status_code) == (404, 404)


def test_manager_makes_a_customer_the_organizations_contact_in_the_admin(
    customer, colleague, open_ticket
):
    from tests.core.test_admin_rules import submitted

    colleagues = open_ticket(colleague, "Delivery for Ravi")
    manager = UserFactory(username="root", role="manager", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(manager)
    url = f"/admin/customers/customer/{customer.pk}/change/"

    response = admin.post(url, submitted(admin, url, is_organization_contact="on", locale="lt"))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.is_organization_contact, customer.locale) == (True, "lt")
    page = portal_client(customer).get(f"/portal/tickets/{colleagues.pk}/")
    assert page.status_code == 200
    assert '<html lang="lt" dir="ltr">' in page.content.decode()


def test_a_signed_in_customer_sees_their_tiers_articles_in_the_help_center(customer):

    gold = TierFactory(name="Gold", rank=40)
    customer.tier = gold
    customer.save(update_fields=["tier"])
    ArticleFactory(title="Gold perks", visibility="tiers", min_tier=gold)
    signed_in = portal_client(customer)
    signed_in.cookies[HELP_COOKIE] = signed_in.cookies[COOKIE].value
    assert "Gold perks" in signed_in.get("/help/en/").content.decode()
    assert "Gold perks" not in Client().get("/help/en/").content.decode()


def test_signing_in_sets_the_help_center_twin_and_signing_out_clears_both(customer):
    client = portal_client(customer)
    response = client.post("/portal/sign-out/")
    assert response.cookies[COOKIE]["max-age"] == 0
    assert response.cookies[HELP_COOKIE]["max-age"] == 0
    assert response.cookies[HELP_COOKIE]["path"] == "/help/"
