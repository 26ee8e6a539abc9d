"""Real-world bounces and charsets through the door (POST /api/v1/inbound/email/ and
processing): delivery reports are stored and classified, a hard bounce of a reply we sent
stops replies to that address; undeclared or lying charsets still decode."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import UndeliverableError
from customers.models import CustomerIdentity
from outbox.models import OutboxMessage
from outbox.models import State as OutboundState
from tickets.channels.email.text import decode_text
from tickets.channels.models import InboundMessage, InboundState
from tickets.models import Ticket
from tickets.services import ticket_reply

from . import mails
from .conftest import make_channel

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def post(integration_client, email_channel, django_capture_on_commit_callbacks):
    """POST a corpus file (or raw bytes) to the email door and run what it queued."""

    def send(mail: str | bytes):
        raw = (CORPUS / mail).read_bytes() if isinstance(mail, str) else mail
        with django_capture_on_commit_callbacks(execute=True):
            response = integration_client.generic(
                "POST", "/api/v1/inbound/email/", data=raw, content_type="message/rfc822"
            )
        assert response.status_code == 202, response.content
        return InboundMessage.objects.get(pk=response.json()["id"])

    return send


def messages_api(client, ticket: Ticket) -> list[dict]:
    response = client.get(f"/api/v1/tickets/{ticket.pk}/messages/")
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


# --- bounces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mail", "classification"),
    [
        ("mailer-daemon-hard-bounce.eml", "bounce:hard"),  # From: MAILER-DAEMON <>
        ("null-from-bounce.eml", "bounce"),  # From: <>, not a DSN
        ("return-path-only-bounce.eml", "bounce:hard"),  # no From, only Return-Path: <>
        ("soft-bounce-dsn.eml", "bounce:soft"),
        ("outlook-out-of-office.eml", "auto_reply"),
    ],
)
def test_bounces_and_auto_replies_are_stored_and_classified_not_refused(post, mail, classification):
    row = post(mail)
    assert (row.state, row.classification) == (InboundState.IGNORED, classification)
    assert row.error
    assert Ticket.objects.count() == 0


RETURNED_ID = "t12.m40.1732440000@acme.test"  # the Message-ID the corpus bounces return


def replied(ticket, agent, capture, body: str = "We sent a new reset link.", **kwargs):
    with capture(execute=True):
        message = ticket_reply(ticket=ticket, author=agent, body=body, **kwargs)
    return OutboxMessage.objects.get(message=message)


def bounce_of(outbound: OutboxMessage, mail: str = "mailer-daemon-hard-bounce.eml") -> bytes:
    """The corpus bounce, returning the headers of the reply we actually sent."""
    raw = (CORPUS / mail).read_bytes()
    return raw.replace(RETURNED_ID.encode(), outbound.provider_id.encode())


def test_hard_bounce_marks_the_identity_undeliverable_and_the_next_reply_is_not_mailed(
    post, agent, manager_client, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = post("missing-boundary.eml").ticket  # from olga@petrova.example
    first = replied(ticket, agent, django_capture_on_commit_callbacks)
    assert (first.state, mailoutbox[0].to) == (OutboundState.SENT, ["olga@petrova.example"])
    bounce = post(bounce_of(first))  # Final-Recipient olga, 5.1.1
    assert (bounce.state, bounce.classification) == (InboundState.IGNORED, "bounce:hard")
    assert "olga@petrova.example failed 5.1.1" in bounce.error
    identity = CustomerIdentity.objects.get(value="olga@petrova.example")
    assert identity.undeliverable_at is not None
    assert "5.1.1" in identity.undeliverable_reason
    assert "User unknown" in identity.undeliverable_reason
    api = manager_client.get(f"/api/v1/customers/{identity.customer_id}/").json()
    [shown] = api["identities"]
    assert shown["undeliverable_at"] is not None
    assert "5.1.1" in shown["undeliverable_reason"]

    # Nothing else reaches olga: the next reply is refused before anything is written...
    with pytest.raises(UndeliverableError):
        replied(ticket, agent, django_capture_on_commit_callbacks, "Did it arrive?")
    assert ticket.messages.filter(body_text="Did it arrive?").count() == 0
    # ...or, asked for, recorded unsent: never mailed, never shown as sent.
    second = replied(
        ticket, agent, django_capture_on_commit_callbacks, "Did it arrive?", record_unsent=True
    )
    assert len(mailoutbox) == 1  # only the first reply was mailed
    assert second.state == OutboundState.UNDELIVERABLE
    assert "no email address that is not marked undeliverable" in second.error


def test_hard_bounce_that_returns_no_message_of_ours_marks_nothing(post):
    post("missing-boundary.eml")  # olga is a customer, but we never mailed her
    row = post("mailer-daemon-hard-bounce.eml")  # a forged or foreign DSN naming olga
    assert (row.state, row.classification) == (InboundState.IGNORED, "bounce:hard")
    assert "nothing marked" in row.error
    assert CustomerIdentity.objects.get(value="olga@petrova.example").undeliverable_at is None


def test_hard_bounce_of_our_reply_never_marks_another_customers_address(
    post, agent, django_capture_on_commit_callbacks
):
    olga_ticket = post("missing-boundary.eml").ticket
    post("unused-boundary.eml")  # kenji@watanabe.example, another customer
    outbound = replied(olga_ticket, agent, django_capture_on_commit_callbacks)
    raw = bounce_of(outbound).replace(b"olga@petrova.example", b"kenji@watanabe.example")
    post(raw)
    assert not CustomerIdentity.objects.filter(undeliverable_at__isnull=False).exists()


def test_soft_bounce_marks_nothing_and_replies_still_go_out(
    post, agent, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = post("unused-boundary.eml").ticket  # from kenji@watanabe.example
    first = replied(ticket, agent, django_capture_on_commit_callbacks, "Fixed in 4.3.")
    row = post(bounce_of(first, "soft-bounce-dsn.eml"))  # kenji, 4.4.1 delayed
    assert row.classification == "bounce:soft"
    assert CustomerIdentity.objects.get(value="kenji@watanabe.example").undeliverable_at is None
    replied(ticket, agent, django_capture_on_commit_callbacks, "Any news?")
    assert [m.to for m in mailoutbox] == [["kenji@watanabe.example"]] * 2


def test_hard_bounce_for_an_unknown_address_creates_no_customer(post):
    post("return-path-only-bounce.eml")
    assert not CustomerIdentity.objects.filter(value="nobody-here@lund.example").exists()


def test_an_address_that_writes_again_is_deliverable_again(
    post, agent, django_capture_on_commit_callbacks
):
    ticket = post("missing-boundary.eml").ticket
    post(bounce_of(replied(ticket, agent, django_capture_on_commit_callbacks)))
    assert CustomerIdentity.objects.get(value="olga@petrova.example").undeliverable_at
    post(mails.build(sender="Olga <olga@petrova.example>", message_id="<again@petrova.example>"))
    identity = CustomerIdentity.objects.get(value="olga@petrova.example")
    assert (identity.undeliverable_at, identity.undeliverable_reason) == (None, "")


def test_reply_goes_to_the_customers_next_deliverable_address(
    post, agent, mailoutbox, django_capture_on_commit_callbacks
):
    from customers.services import IdentityInput, customer_update, identity_mark_undeliverable

    ticket = post("missing-boundary.eml").ticket
    customer_update(
        customer=ticket.requester, add_identities=[IdentityInput("email", "olga@work.example")]
    )
    identity_mark_undeliverable(address="olga@petrova.example", reason="Hard bounce 5.1.1")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="Reset link sent.")
    assert [m.to for m in mailoutbox] == [["olga@work.example"]]


def test_email_with_no_sender_at_all_is_the_one_refused(integration_client, email_channel):
    from tests.conftest import assert_error

    raw = (CORPUS / "no-sender-at-all.eml").read_bytes()
    response = integration_client.generic(
        "POST", "/api/v1/inbound/email/", data=raw, content_type="message/rfc822"
    )
    error = assert_error(response, 400, field="body")
    assert "no sender" in error["fields"][0]["message"]
    assert InboundMessage.objects.count() == 0


# --- charsets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "charset", "text"),
    [
        ("Grüße".encode(), None, "Grüße"),  # 8-bit, nothing declared
        ("Grüße".encode(), "us-ascii", "Grüße"),  # declared wrongly
        ("Grüße".encode("cp1252"), "utf-8", "Grüße"),  # a lying charset
        ("não".encode(), "x-lusitano-8", "não"),  # a charset Python does not know
        ("Ошибка".encode("koi8-r"), "KOI8-R", "Ошибка"),
        ("Kļūda".encode("iso-8859-13"), '"ISO-8859-13"', "Kļūda"),
    ],
)
def test_text_is_decoded_with_the_declared_or_a_guessed_charset(data, charset, text):
    assert decode_text(data, charset) == text


def test_from_address_our_rules_refuse_falls_back_to_the_envelope_sender(post):
    row = post("internationalized-from-address.eml")  # From: josé@..., Return-Path ascii
    assert row.state == InboundState.PROCESSED, row.error
    assert row.ticket.requester.primary_email == "jose.garcia@correo.example"
    assert row.ticket.requester.name == "José García"


def test_windows_1251_email_keeps_its_russian_subject_and_sender_name(post):
    row = post("russian-windows-1251.eml")
    assert row.ticket.subject == "Оплата заказа 7781"
    assert row.ticket.requester.name == "Ирина Соколова"


def test_rfc2047_words_split_mid_character_join_into_one_subject(post):
    row = post("rfc2047-split-mid-character.eml")
    assert row.ticket.subject == "Счёт-фактура №12 — ошибка"
    assert row.ticket.requester.name == "Дмитрий Волков"


def test_email_door_picks_the_channel_even_for_a_bounce(integration_client, email_channel, team):
    make_channel("email", "Second", address="second@acme.test")
    raw = (CORPUS / "null-from-bounce.eml").read_bytes()
    response = integration_client.generic(
        "POST", "/api/v1/inbound/email/", data=raw, content_type="message/rfc822"
    )
    assert response.status_code == 202
    assert response.json()["channel"] == email_channel.pk
