"""The two other email doors: django-anymail inbound webhooks and the IMAP poller."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tickets.channels.config import channel_save
from tickets.channels.email.imap import poll_channel
from tickets.channels.models import Channel, InboundMessage, InboundState
from tickets.models import Ticket

from . import mails

pytestmark = pytest.mark.django_db


# --- anymail -------------------------------------------------------------------------------


@pytest.fixture
def anymail_auth(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:pw"}
    return "Basic " + base64.b64encode(b"hook:pw").decode()


def test_postmark_inbound_with_raw_email_goes_through_the_pipeline(
    client, email_channel, anymail_auth, django_capture_on_commit_callbacks
):
    raw = mails.build(attachments=[("invoice.pdf", mails.PDF, "application/pdf")])
    payload = {"RawEmail": raw.decode(), "MessageID": "pm-1", "Headers": []}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/anymail/postmark/inbound/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=anymail_auth,
        )
    assert response.status_code == 200
    row = InboundMessage.objects.get()
    assert (row.door, row.state, row.channel_id) == ("anymail", "processed", email_channel.pk)
    assert row.ticket.messages.get().attachments.get().filename == "invoice.pdf"


def test_postmark_inbound_parsed_fields_and_duplicate_delivery(
    client, email_channel, anymail_auth, django_capture_on_commit_callbacks
):
    payload = {
        "FromFull": {"Email": "kim@example.com", "Name": "Kim Lee"},
        "ToFull": [{"Email": "support@acme.test", "Name": ""}],
        "Subject": "Cannot log in",
        "TextBody": "The login page says my password expired.",
        "HtmlBody": "<p>The login page says my password <b>expired</b>.</p>",
        "Headers": [{"Name": "Message-ID", "Value": "<pm-2@example.com>"}],
        "MessageID": "pm-2",
    }
    for _ in range(2):  # the provider retried
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/anymail/postmark/inbound/",
                json.dumps(payload),
                content_type="application/json",
                HTTP_AUTHORIZATION=anymail_auth,
            )
        assert response.status_code == 200
    row = InboundMessage.objects.get()
    assert row.dedupe_key == "pm-2@example.com"
    ticket = Ticket.objects.get()
    assert ticket.subject == "Cannot log in"
    assert "<b>expired</b>" in ticket.messages.get().body_html


def test_anymail_webhook_requires_its_secret(client, email_channel, anymail_auth):
    response = client.post("/anymail/postmark/inbound/", "{}", content_type="application/json")
    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


# --- IMAP ----------------------------------------------------------------------------------


class FakeImapServer:
    """The external IMAP server: a mailbox of UID -> raw message with a UIDVALIDITY."""

    def __init__(self, validity: int = 7):
        self.validity = validity
        self.messages: dict[int, bytes] = {}
        self.fail_fetch_of: int | None = None

    def add(self, uid: int, raw: bytes) -> None:
        self.messages[uid] = raw

    def connect(self, settings: dict):
        assert settings["host"] == "imap.acme.test"
        return FakeImapClient(self)


class FakeImapClient:
    def __init__(self, server: FakeImapServer):
        self.server = server

    def select(self, folder, readonly=False):
        return "OK", [str(len(self.server.messages)).encode()]

    def response(self, code):
        return code, [str(self.server.validity).encode()]

    def uid(self, command, *args):
        if command == "SEARCH":
            low = int(args[1].split()[1].split(":")[0])
            found = [u for u in sorted(self.server.messages) if u >= low]
            if not found and self.server.messages:  # "n:*" always matches the last message
                found = [max(self.server.messages)]
            return "OK", [" ".join(map(str, found)).encode()]
        if command == "FETCH":
            uid = int(args[0])
            if uid == self.server.fail_fetch_of:
                raise OSError("connection reset by peer")
            raw = self.server.messages[uid]
            return "OK", [(f"{uid} (UID {uid} RFC822 {{{len(raw)}}}".encode(), raw), b")"]
        raise AssertionError(command)

    def logout(self):
        return "BYE", [b""]


@pytest.fixture
def imap_channel(team):
    return channel_save(
        channel=Channel(),
        kind="email",
        name="IMAP mailbox",
        settings={
            "address": "help@acme.test",
            "imap": {"host": "imap.acme.test", "username": "help", "password": "pw"},
        },
    )


def mail(n: int) -> bytes:
    return mails.build(
        to="help@acme.test", subject=f"Question {n}", message_id=f"<q{n}@example.com>"
    )


def test_poller_stores_new_messages_once(imap_channel, django_capture_on_commit_callbacks):
    server = FakeImapServer()
    server.add(1, mail(1))
    server.add(2, mail(2))
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_channel(imap_channel, connect=server.connect) == 2
    assert poll_channel(imap_channel, connect=server.connect) == 0  # nothing new
    server.add(5, mail(3))
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_channel(imap_channel, connect=server.connect) == 1
    imap_channel.refresh_from_db()
    assert (imap_channel.imap_uid_validity, imap_channel.imap_last_uid) == (7, 5)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Question 1",
        "Question 2",
        "Question 3",
    ]
    assert set(InboundMessage.objects.values_list("door", "state")) == {
        ("imap", InboundState.PROCESSED)
    }


def test_poller_resumes_after_a_crash_without_skipping_or_repeating(imap_channel):
    server = FakeImapServer()
    for uid in (1, 2, 3):
        server.add(uid, mail(uid))
    server.fail_fetch_of = 2
    with pytest.raises(OSError, match="reset"):
        poll_channel(imap_channel, connect=server.connect)
    imap_channel.refresh_from_db()
    assert imap_channel.imap_last_uid == 1
    server.fail_fetch_of = None
    assert poll_channel(imap_channel, connect=server.connect) == 2
    keys = sorted(InboundMessage.objects.values_list("dedupe_key", flat=True))
    assert keys == ["q1@example.com", "q2@example.com", "q3@example.com"]


def test_changed_uidvalidity_rescans_and_dedupe_absorbs_known_messages(imap_channel):
    server = FakeImapServer(validity=7)
    server.add(1, mail(1))
    poll_channel(imap_channel, connect=server.connect)
    renumbered = FakeImapServer(validity=8)
    renumbered.add(1, mail(1))
    renumbered.add(2, mail(2))
    poll_channel(imap_channel, connect=renumbered.connect)
    imap_channel.refresh_from_db()
    assert (imap_channel.imap_uid_validity, imap_channel.imap_last_uid) == (8, 2)
    assert InboundMessage.objects.count() == 2


# --- the same rule for every door: a part is withheld, the email kept ---------------------

CORPUS = Path(__file__).parent / "corpus"


def test_anymail_door_keeps_a_signed_email_and_withholds_its_signature(
    client, email_channel, anymail_auth, django_capture_on_commit_callbacks
):
    raw = (CORPUS / "pgp-mime-signed.eml").read_bytes()
    payload = {"RawEmail": raw.decode(), "MessageID": "pm-pgp", "Headers": []}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/anymail/postmark/inbound/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=anymail_auth,
        )
    assert response.status_code == 200
    row = InboundMessage.objects.get()
    assert (row.door, row.state) == ("anymail", InboundState.PROCESSED)
    assert "charges us twice" in row.message.body_text
    assert [p["reason"] for p in row.message.withheld_parts] == ["signature"]


def test_anymail_door_stores_a_bounce_with_a_null_sender(
    client, email_channel, anymail_auth, django_capture_on_commit_callbacks
):
    raw = (CORPUS / "mailer-daemon-hard-bounce.eml").read_bytes()
    payload = {"RawEmail": raw.decode(), "MessageID": "pm-bounce", "Headers": []}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/anymail/postmark/inbound/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=anymail_auth,
        )
    row = InboundMessage.objects.get()
    assert (row.state, row.classification) == (InboundState.IGNORED, "bounce:hard")


def test_imap_door_keeps_an_email_with_an_unaccepted_part(
    imap_channel, django_capture_on_commit_callbacks
):
    server = FakeImapServer()
    server.add(1, (CORPUS / "riscos-attachment.eml").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_channel(imap_channel, connect=server.connect) == 1
    row = InboundMessage.objects.get()
    assert (row.door, row.state) == ("imap", InboundState.PROCESSED)
    assert [p["filename"] for p in row.message.withheld_parts] == ["Printers,ffa"]
