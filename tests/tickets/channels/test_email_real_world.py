"""Real-world mail through the door (POST /api/v1/inbound/email/ and processing): parts that
cannot be stored are withheld and shown, broken structures keep their text, forwards are
quoted with their files (bounces and charsets: test_email_bounces.py)."""

# ruff: noqa: RUF001 (real-world text: Cyrillic, dashes)
from __future__ import annotations

from pathlib import Path

import pytest

from tickets.channels.models import InboundMessage, InboundState
from tickets.models import Attachment, Ticket

from . import mails

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


# --- withheld parts ------------------------------------------------------------------------


def test_pgp_signed_email_becomes_a_ticket_with_its_signature_recorded_not_stored(
    post, agent_client
):
    row = post("pgp-mime-signed.eml")
    assert row.state == InboundState.PROCESSED
    assert "charges us twice" in row.message.body_text
    assert Attachment.objects.count() == 0
    [api_message] = messages_api(agent_client, row.ticket)
    assert api_message["attachments"] == []
    [withheld] = api_message["withheld_parts"]
    assert withheld["filename"] == "OpenPGP_signature.asc"
    assert withheld["content_type"] == "application/pgp-signature"
    assert withheld["reason"] == "signature"
    assert withheld["size"] > 100


@pytest.mark.parametrize(
    ("mail", "content_type"),
    [
        ("smime-signed.eml", "application/pkcs7-signature"),
        ("smime-x-pkcs7-signed.eml", "application/x-pkcs7-signature"),
    ],
)
def test_smime_signatures_are_recognised_as_signatures(post, mail, content_type):
    row = post(mail)
    assert row.state == InboundState.PROCESSED
    parts = [(p["filename"], p["content_type"], p["reason"]) for p in row.message.withheld_parts]
    assert parts == [("smime.p7s", content_type, "signature")]


def test_external_body_is_recorded_as_a_reference_with_its_url(post):
    row = post("external-body.eml")
    assert "on our file server" in row.message.body_text
    by_name = {p["filename"]: p for p in row.message.withheld_parts}
    logs = by_name["sync-logs-2026-11-24.zip"]
    assert logs["reason"] == "external"
    assert logs["access_type"] == "URL"
    assert logs["url"] == "https://files.studio.example/share/sync-logs-2026-11-24.zip"
    assert logs["size"] == 48213377
    old = by_name["sync-old.tgz"]
    assert (old["access_type"], old["url"]) == (
        "anon-ftp",
        "ftp://ftp.studio.example/pub/logs/sync-old.tgz",
    )
    assert Attachment.objects.count() == 0  # nothing was fetched


def test_part_of_an_unaccepted_type_is_withheld_and_the_email_kept(post):
    row = post("riscos-attachment.eml")
    assert row.state == InboundState.PROCESSED
    assert "It crashes when I print page 2." in row.message.body_text
    [withheld] = row.message.withheld_parts
    assert (withheld["filename"], withheld["content_type"], withheld["reason"]) == (
        "Printers,ffa",
        "application/riscos",
        "unsupported_type",
    )
    assert withheld["size"] == 900


def test_accepted_files_are_kept_next_to_withheld_ones(post, settings):
    raw = mails.build(
        attachments=[
            ("invoice.pdf", mails.PDF, "application/pdf"),
            ("winmail.dat", b"\x78\x9f\x3e\x22" + b"\x00" * 50, "application/ms-tnef"),
        ]
    )
    row = post(raw)
    assert [a.filename for a in row.message.attachments.all()] == ["invoice.pdf"]
    assert [p["filename"] for p in row.message.withheld_parts] == ["winmail.dat"]


def test_desk_ticket_page_shows_withheld_parts_next_to_attachments(post, agent):
    from tests.desk.conftest import desk_client

    row = post("external-body.eml")
    page = desk_client(agent).get(f"/desk/tickets/{row.ticket_id}/").content.decode()
    assert 'aria-label="Withheld parts"' in page
    assert "sync-logs-2026-11-24.zip" in page
    assert "external reference: https://files.studio.example/share/sync-logs-2026-11-24.zip" in page


# --- broken structure, no text -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mail", "text"),
    [
        ("missing-boundary.eml", 'I click "reset password" and nothing arrives.'),
        ("missing-boundary-with-parts.eml", "Please refund order 5531 – it never shipped."),
        ("unused-boundary.eml", "The CSV export stops after 1000 rows"),
        ("mismatched-boundary.eml", "la partita IVA sulla fattura è sbagliata"),
    ],
)
def test_broken_multipart_boundaries_keep_their_text_without_mime_noise(post, mail, text):
    row = post(mail)
    assert row.state == InboundState.PROCESSED, row.error
    body = row.message.body_text
    assert text in body
    assert "Content-Type" not in body
    assert "--" not in body.replace("–", "")


def test_mismatched_boundary_keeps_the_attachment_too(post):
    row = post("mismatched-boundary.eml")
    assert [a.filename for a in row.message.attachments.all()] == ["fattura.pdf"]


@pytest.mark.parametrize(
    ("mail", "subject"),
    [
        ("subject-only.eml", "Please call me back about the contract renewal"),
        ("empty-body.eml", "(no subject)"),
    ],
)
def test_email_without_a_body_becomes_a_ticket_with_no_text(post, mail, subject):
    row = post(mail)
    assert row.state == InboundState.PROCESSED, row.error
    assert row.ticket.subject == subject
    assert row.message.body_text == "(no text)"


# --- forwards and digests ------------------------------------------------------------------


def test_forwarded_message_is_quoted_with_its_headers_and_its_attachment_kept(post):
    row = post("forwarded-rfc822.eml")
    body = row.message.body_text
    assert body.startswith("See below - the tracking number does not work.")
    assert "---------- Forwarded message ----------" in body
    assert "From: Shop Orders <orders@shop.example>" in body
    assert "Date: Mon, 23 Nov 2026 17:40:00 +0000" in body
    assert "Subject: Your order 1042 has shipped" in body
    assert body.index("Forwarded message") < body.index("Tracking: ZX-99-1042-UK")
    [attachment] = row.message.attachments.all()
    assert (attachment.filename, attachment.content_type) == (
        "packing-slip-1042.pdf",
        "application/pdf",
    )
    assert attachment.file.read().startswith(b"%PDF-1.4")


def test_digest_messages_are_each_quoted_as_a_forward(post):
    body = post("digest.eml").message.body_text
    assert body.count("---------- Forwarded message ----------") == 2
    assert "From: Bea Lund <bea@lund.example>\nDate: Sun, 22 Nov 2026 08:00:00 +0000" in body
    assert "Subject: Sync stops at 99%" in body
    assert "The desktop sync stops at 99% every night." in body
    assert "Dark mode makes the buttons unreadable." in body


def test_a_reply_with_a_forward_trims_its_own_quote_but_keeps_the_forward(post):
    raw = (
        (CORPUS / "forwarded-rfc822.eml")
        .read_bytes()
        .replace(
            b"See below - the tracking number does not work.\n",
            b"See below - the tracking number does not work.\n\n"
            b"On Mon, 23 Nov 2026, Acme Support wrote:\n> Please send us the shipping email.\n",
        )
    )
    raw = raw.replace(
        b"MIME-Version: 1.0\n", b"In-Reply-To: <t1.m1@acme.test>\nMIME-Version: 1.0\n", 1
    )
    body = post(raw).message.body_text
    assert "Please send us the shipping email." not in body
    assert "From: Shop Orders <orders@shop.example>" in body
    assert "Tracking: ZX-99-1042-UK" in body
