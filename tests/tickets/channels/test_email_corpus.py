"""Every file of the real-world corpus (corpus/*.eml) goes through the real door, POST
/api/v1/inbound/email/, and through processing (Celery eager): nothing is refused but mail
with no sender at all, nothing fails after 202, and no ticket is empty while text exists.

The figures are printed (run with -s) and kept in the README's Channels section."""

# ruff: noqa: RUF001 (real-world text: Cyrillic, dashes)
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tickets.channels.models import InboundMessage, InboundState
from tickets.models import Ticket

CORPUS = Path(__file__).parent / "corpus"
CORPUS_LIMIT_BYTES = 64 * 1024  # so a modest corpus file can be "oversize"

# What a reader must find in each message (text that exists somewhere in the email), or the
# classification of an email that is stored as ignored. A file missing here fails the test.
EXPECTED = {
    "8bit-no-charset.eml": "Größe",
    "8bit-cp1251-no-charset.eml": "до сих пор не доставлен",
    "apple-text-image-text.eml": "password field does not accept a paste",
    "broken-base64.eml": "logs me out every five minutes",
    "broken-quoted-printable.eml": "fakturan för oktober",
    "calendar-invite.eml": "Onboarding call, Horvat d.o.o.",
    "calendar-only.eml": "Quarterly review",
    "digest.eml": "Dark mode makes the buttons unreadable",
    "empty-body.eml": "(no text)",
    "external-body.eml": "they are on our file server",
    "forwarded-rfc822.eml": "Tracking: ZX-99-1042-UK",
    "html-only-inline-image.eml": "logo on the invoice PDF is blurry",
    "huge-header-block.eml": "passes 300 relays",
    "internationalized-from-address.eml": "cobrado dos veces la factura 2211",
    "latvian-iso-8859-13.eml": "Rēķinā ir kļūda",
    "lithuanian-iso-8859-13.eml": "Ačiū, Žydrūnas Šimkus",
    "mailer-daemon-hard-bounce.eml": ("ignored", "bounce:hard"),
    "mismatched-boundary.eml": "la partita IVA sulla fattura è sbagliata",
    "missing-boundary-with-parts.eml": "Please refund order 5531 – it never shipped.",
    "missing-boundary.eml": "nothing arrives",
    "nested-mixed-related-alternative.eml": "shows €0 although we have 41 orders",
    "no-sender-at-all.eml": ("refused", "no sender"),
    "null-from-bounce.eml": ("ignored", "bounce"),
    "outlook-out-of-office.eml": ("ignored", "auto_reply"),
    "outlook-winmail-dat.eml": "review the attached contract draft",
    "oversize-attachment.eml": "Attached is the full export",
    "persian-utf8-base64.eml": "سفارش شماره ۴۵۲ هنوز نرسیده است",
    "pgp-mime-signed.eml": "charges us twice for the May licence",
    "read-receipt-mdn.eml": ("ignored", "read_receipt"),
    "return-path-only-bounce.eml": ("ignored", "bounce:hard"),
    "rfc2047-split-mid-character.eml": "В счёте №12 неверная сумма.",
    "riscos-attachment.eml": "It crashes when I print page 2.",
    "russian-koi8-r.eml": "приложение закрывается при входе",
    "russian-windows-1251.eml": "Не могу оплатить заказ 7781 картой Мир",
    "sender-header-only.eml": "warranty two years",
    "smime-signed.eml": "our billing contact is Paul Martin",
    "smime-x-pkcs7-signed.eml": "seit heute früh gesperrt",
    "soft-bounce-dsn.eml": ("ignored", "bounce:soft"),
    "subject-only.eml": "(no text)",
    "unknown-charset.eml": "O meu pedido 3310 não chegou",
    "unused-boundary.eml": "The CSV export stops after 1000 rows",
}


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.eml"))


@pytest.mark.django_db
def test_real_world_corpus_is_never_refused_never_fails_and_never_loses_text(
    integration_client, email_channel, settings, django_capture_on_commit_callbacks
):
    settings.ATTACHMENT_MAX_BYTES = CORPUS_LIMIT_BYTES
    files = corpus_files()
    assert sorted(p.name for p in files) == sorted(EXPECTED)
    refused: dict[str, str] = {}
    rows: dict[str, InboundMessage] = {}
    for path in files:
        with django_capture_on_commit_callbacks(execute=True):
            response = integration_client.generic(
                "POST",
                "/api/v1/inbound/email/",
                data=path.read_bytes(),
                content_type="message/rfc822",
            )
        if response.status_code == 202:
            rows[path.name] = InboundMessage.objects.get(pk=response.json()["id"])
        else:
            assert response.status_code == 400, (path.name, response.content)
            fields = response.json()["error"]["fields"]
            refused[path.name] = " ".join(f["message"] for f in fields)

    states = Counter(row.state for row in rows.values())
    classes = Counter(row.classification for row in rows.values() if row.classification)
    messages = [row.message for row in rows.values() if row.message is not None]
    withheld = Counter(part["reason"] for m in messages for part in m.withheld_parts)
    empty_bodies = [m.pk for m in messages if not m.body_text.strip()]
    print(
        f"\ncorpus: {len(files)} messages; {len(rows)} accepted (202), {len(refused)} refused "
        f"{refused}; {Ticket.objects.count()} tickets; {states[InboundState.IGNORED]} ignored "
        f"{dict(sorted(classes.items()))}; {states[InboundState.FAILED]} failed; "
        f"{sum(withheld.values())} withheld parts {dict(sorted(withheld.items()))}; "
        f"{len(empty_bodies)} empty bodies"
    )

    # 0 refused at the door except mail with no sender at all
    assert {name: "no sender" in text for name, text in refused.items()} == {
        "no-sender-at-all.eml": True
    }
    # 0 failed after 202; 0 tickets with an empty body
    assert states[InboundState.FAILED] == 0, {
        n: r.error for n, r in rows.items() if r.state == InboundState.FAILED
    }
    assert empty_bodies == []
    for name, expected in EXPECTED.items():
        if isinstance(expected, tuple):
            outcome, what = expected
            if outcome == "refused":
                assert what in refused[name]
            else:
                assert (rows[name].state, rows[name].classification) == ("ignored", what), name
            continue
        row = rows[name]
        assert row.state == InboundState.PROCESSED, (name, row.error)
        shown = row.message.body_text + row.ticket.subject
        assert expected in shown, (name, row.message.body_text)
    assert Ticket.objects.count() == len(files) - len(refused) - states[InboundState.IGNORED]
