"""Magic-link sign-in: a link sent to one of the customer's email identities, signed,
expiring, single use, rate limited, and the same answer for an address we do not know."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.utils import timezone

from customers.models import CustomerIdentity
from portal.auth import COOKIE
from portal.models import PortalSignIn
from portal.services import LINK_SALT, session_token
from tests.portal.conftest import link_token_from, portal_client
from tickets.channels.config import channel_save
from tickets.channels.models import Channel

pytestmark = pytest.mark.django_db


def page_without(response, address: str) -> str:
    """The page as the visitor sees it, minus the address they typed and the (random) CSRF
    token every form render carries."""
    page = response.content.decode().replace(address, "ADDRESS")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)


def ask_for_link(client, email, django_capture_on_commit_callbacks, **headers):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/portal/sign-in/", {"email": email}, **headers)


def test_sign_in_link_is_mailed_from_the_support_mailbox(
    client, customer, django_capture_on_commit_callbacks
):
    channel_save(
        channel=Channel(),
        kind="email",
        name="Support",
        settings={"address": "help@acme-shop.example", "from_name": "Acme Support"},
    )
    response = ask_for_link(client, "  Kim@ACME.example ", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    [sent] = mail.outbox
    assert sent.to == ["kim@acme.example"]
    assert sent.from_email == "Acme Support <help@acme-shop.example>"
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "http://localhost:8000/portal/sign-in/" in sent.body
    assert "Hello Kim Lee" in sent.body


def test_any_email_identity_of_the_customer_receives_a_link(
    client, customer, django_capture_on_commit_callbacks
):
    CustomerIdentity.objects.create(customer=customer, kind="email", value="kim.lee@gmail.example")

    ask_for_link(client, "kim.lee@gmail.example", django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [["kim.lee@gmail.example"]]
    assert PortalSignIn.objects.get().customer == customer


def test_unknown_address_gets_the_same_answer_and_no_mail(
    client, customer, django_capture_on_commit_callbacks
):
    known = ask_for_link(client, "kim@acme.example", django_capture_on_commit_callbacks)
    unknown = ask_for_link(client, "nobody@acme.example", django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == 200
    assert page_without(known, "kim@acme.example") == page_without(unknown, "nobody@acme.example")
    assert [m.to for m in mail.outbox] == [["kim@acme.example"]]
    assert PortalSignIn.objects.filter(email="nobody@acme.example").exists() is False


def test_malformed_address_is_a_400_and_sends_nothing(client, customer):
    response = client.post("/portal/sign-in/", {"email": "kim at acme"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert PortalSignIn.objects.count() == 0
    assert mail.outbox == []


def test_link_signs_the_customer_in_once(
    client, customer, open_ticket, django_capture_on_commit_callbacks
):
    ticket = open_ticket(customer)
    ask_for_link(client, "kim@acme.example", django_capture_on_commit_callbacks)
    token = link_token_from(mail.outbox[0].body)

    confirm = client.get(f"/portal/sign-in/{token}/")  # a mail scanner's GET spends nothing
    assert confirm.status_code == 200
    assert "kim@acme.example" in confirm.content.decode()
    signed_in = client.post(f"/portal/sign-in/{token}/")
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/portal/"
    cookie = signed_in.cookies[COOKIE]
    assert cookie["httponly"]
    assert (cookie["path"], cookie["samesite"]) == ("/portal/", "Lax")
    home = client.get("/portal/")
    assert home.status_code == 200
    assert ticket.subject in home.content.decode()

    reused = Client_fresh().post(f"/portal/sign-in/{token}/")
    assert reused.status_code == 404
    assert "not valid any more" in reused.content.decode()
    assert COOKIE not in reused.cookies


def Client_fresh():
    from django.test import Client

    return Client()


def test_expired_link_does_not_sign_in(client, customer, django_capture_on_commit_callbacks):
    ask_for_link(client, "kim@acme.example", django_capture_on_commit_callbacks)
    token = link_token_from(mail.outbox[0].body)

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        page = client.get(f"/portal/sign-in/{token}/")
        response = client.post(f"/portal/sign-in/{token}/")

    assert page.status_code == response.status_code == 404
    assert COOKIE not in response.cookies
    assert PortalSignIn.objects.get().used_at is None


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda token, pk: token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
            id="tampered signature",
        ),
        pytest.param(lambda token, pk: f"{pk + 1}:" + token.split(":", 1)[1], id="other id"),
        pytest.param(
            lambda token, pk: signing.TimestampSigner(salt="followups.survey").sign(str(pk)),
            id="a survey token for the same id",
        ),
        pytest.param(
            lambda token, pk: signing.TimestampSigner(key="not-our-secret", salt=LINK_SALT).sign(
                str(pk)
            ),
            id="signed with another key",
        ),
        pytest.param(lambda token, pk: str(pk), id="bare id"),
    ],
)
def test_forged_link_does_not_sign_in(client, customer, django_capture_on_commit_callbacks, forge):
    ask_for_link(client, "kim@acme.example", django_capture_on_commit_callbacks)
    token = link_token_from(mail.outbox[0].body)
    sign_in = PortalSignIn.objects.get()

    response = client.post(f"/portal/sign-in/{forge(token, sign_in.pk)}/")

    assert response.status_code == 404
    assert COOKIE not in response.cookies
    assert PortalSignIn.objects.get().used_at is None


def test_a_link_is_not_a_session_cookie(client, customer, django_capture_on_commit_callbacks):
    """The link and the cookie are signed for different purposes (salts): the link's token
    set as the cookie opens nothing."""
    ask_for_link(client, "kim@acme.example", django_capture_on_commit_callbacks)
    client.cookies[COOKIE] = link_token_from(mail.outbox[0].body)

    response = client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/sign-in/"


def test_rate_limit_answers_alike_for_known_and_unknown_addresses(
    client, customer, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_LINKS_PER_HOUR = 3
    for _ in range(3):
        assert (
            ask_for_link(client, "kim@acme.example", django_capture_on_commit_callbacks).status_code
            == 200
        )
        assert (
            ask_for_link(
                client, "ghost@acme.example", django_capture_on_commit_callbacks
            ).status_code
            == 200
        )

    known = ask_for_link(client, "kim@acme.example", django_capture_on_commit_callbacks)
    unknown = ask_for_link(client, "ghost@acme.example", django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == 429
    assert 0 < int(known["Retry-After"]) <= 3600
    assert "Too many sign-in links" in known.content.decode()
    assert page_without(known, "kim@acme.example") == page_without(unknown, "ghost@acme.example")
    assert len(mail.outbox) == 3  # the fourth request for Kim sent nothing
    assert PortalSignIn.objects.count() == 3


def test_rate_limit_per_client_address_stops_spraying_many_addresses(
    client, customer, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_LINKS_PER_HOUR_PER_IP = 4
    answers = [
        ask_for_link(client, f"guess{n}@acme.example", django_capture_on_commit_callbacks)
        for n in range(4)
    ]
    blocked = ask_for_link(client, "kim@acme.example", django_capture_on_commit_callbacks)
    elsewhere = ask_for_link(
        client, "kim@acme.example", django_capture_on_commit_callbacks, REMOTE_ADDR="203.0.113.9"
    )

    assert [a.status_code for a in answers] == [200] * 4
    assert blocked.status_code == 429
    assert elsewhere.status_code == 200
    assert [m.to for m in mail.outbox] == [["kim@acme.example"]]


def test_sign_out_ends_the_session_even_for_a_kept_cookie(customer):
    browser = portal_client(customer)
    kept = browser.cookies[COOKIE].value

    response = browser.post("/portal/sign-out/")
    replay = Client_fresh()
    replay.cookies[COOKIE] = kept

    assert response.status_code == 302
    assert replay.get("/portal/").status_code == 302
    assert PortalSignIn.objects.get().ended_at is not None


def test_session_expires_after_portal_session_hours(customer, settings):
    browser = portal_client(customer)

    with time_machine.travel(
        timezone.now() + timedelta(hours=settings.PORTAL_SESSION_HOURS, minutes=1)
    ):
        response = browser.get("/portal/")

    assert response.status_code == 302


def test_session_cookie_for_another_row_is_refused(customer, stranger):
    mine = portal_client(customer)
    theirs = PortalSignIn.objects.create(
        customer=stranger, email="sam@elsewhere.example", expires_at=timezone.now()
    )  # a link never used: no session, even with a correctly signed id
    mine.cookies[COOKIE] = session_token(theirs)

    assert mine.get("/portal/").status_code == 302
