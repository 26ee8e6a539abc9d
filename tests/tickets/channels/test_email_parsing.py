"""Parsing real-world email shapes with the stdlib (policy.default)."""

from __future__ import annotations

import pytest

from tickets.channels.email.parse import NotAnEmail, parse_email, trim_quoted_text

from . import mails


def test_multipart_alternative_with_inline_image_and_attachment():
    raw = mails.build(
        text="Hi,\n\nsee the photo.",
        html='<p>Hi,</p><p>see the <b>photo</b> <img src="cid:img1@x"></p>'
        '<script>alert(1)</script><a href="javascript:x()" onclick="y()">link</a>',
        inline_png_cid="img1@x",
        attachments=[("invoice.pdf", mails.PDF, "application/pdf")],
    )
    parsed = parse_email(raw)
    assert parsed.text == "Hi,\n\nsee the photo."
    assert "<b>photo</b>" in parsed.html
    assert "script" not in parsed.html
    assert "javascript" not in parsed.html
    assert "onclick" not in parsed.html
    assert 'src="cid:img1@x"' in parsed.html
    files = {a.filename: a for a in parsed.attachments}
    assert len(files) == 2
    assert "invoice.pdf" in files
    inline = next(a for a in parsed.attachments if a.content_id)
    assert inline.content_id == "img1@x"
    assert inline.content_type == "image/png"
    pdf = next(a for a in parsed.attachments if a.content_type == "application/pdf")
    assert pdf.content.read() == mails.PDF


@pytest.mark.parametrize("charset", ["iso-8859-1", "koi8-r", "shift_jis", "utf-8"])
def test_non_utf8_charsets_and_encoded_headers(charset):
    text = {
        "iso-8859-1": "Grüße aus Köln",
        "koi8-r": "Здравствуйте, заказ не пришёл",
        "shift_jis": "注文が届きません",
        "utf-8": "Ünïcödé ✓",
    }[charset]
    raw = mails.build(
        sender=mails.address("Jürgen Müller", "juergen@example.de"),
        subject=f"Frage: {text.split()[0]}",  # short: the stdlib folds long ones lossily
        text=text,
        charset=charset,
    )
    parsed = parse_email(raw)
    assert parsed.text == text
    assert parsed.subject == f"Frage: {text.split()[0]}"
    assert parsed.from_name == "Jürgen Müller"
    assert parsed.from_address == "juergen@example.de"


def test_outlook_windows_1252_reply_is_decoded_and_quote_trimmed():
    parsed = parse_email(mails.OUTLOOK_REPLY_CP1252)
    assert parsed.subject == "AW: Rückfrage zur Rechnung [#TICKET]"
    assert parsed.from_name == "Jürgen Müller"
    assert parsed.text == "Grüße, die Rechnung ist jetzt „korrekt“ \u2013 danke!"


def test_gmail_style_quote_is_trimmed_from_text_and_html():
    parsed = parse_email(
        mails.build(
            subject="Re: Router",
            in_reply_to="<ours@acme.test>",
            text="Thanks, that worked.\n\nOn Mon, 23 Nov 2026 at 17:00, Acme <support@acme.test>"
            " wrote:\n> Please restart the router.\n> Regards",
            html='<div>Thanks, that worked.</div><div class="gmail_quote">On Mon ... wrote:'
            "<blockquote>Please restart the router.</blockquote></div>",
        )
    )
    assert parsed.text == "Thanks, that worked."
    assert "router" not in parsed.html
    assert "Thanks, that worked." in parsed.html


def test_trimming_never_empties_a_message():
    assert trim_quoted_text("> only a quote\n> here") == "> only a quote\n> here"


def test_html_only_email_gets_text_from_html():
    msg = mails.build(text="x", html="<p>Only <b>HTML</b></p>")
    parsed = parse_email(msg)
    assert "HTML" in parsed.html


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (mails.BOUNCE, "auto-submitted"),
        (mails.out_of_office(), "auto-submitted"),
        (mails.build(headers={"Precedence": "bulk"}), "precedence: bulk"),
        (mails.build(headers={"X-Autoreply": "yes"}), "x-autoreply"),
        (mails.build(subject="Out of Office: back Monday"), "auto-reply subject"),
        (mails.build(sender="MAILER-DAEMON@mx.example.com"), "bounce"),
    ],
)
def test_auto_replies_and_bounces_are_recognised(raw, reason):
    assert reason in parse_email(raw).auto_reason


def test_a_person_writing_is_not_automatic():
    assert parse_email(mails.build(headers={"Auto-Submitted": "no"})).auto_reason == ""


@pytest.mark.parametrize(
    "raw", [b"", b"   \r\n", b"hello, this is not an email", b"Subject: hi\r\n\r\nno sender"]
)
def test_not_an_email(raw):
    with pytest.raises(NotAnEmail):
        parse_email(raw)


def test_threading_headers():
    parsed = parse_email(
        mails.build(
            subject="Re: Order [#42]",
            in_reply_to="<a@x>",
            references="<root@x> <a@x>",
        )
    )
    assert parsed.thread_keys == ["a@x", "root@x"]
    assert parsed.ticket_token == 42


def test_a_forwarded_email_keeps_its_quoted_content():
    text = (
        "FYI, see below.\n\n---------- Forwarded message ---------\n"
        "From: Shop <orders@shop.example>\nDate: Mon, 23 Nov 2026\n\nYour order 1042 shipped."
    )
    parsed = parse_email(mails.build(subject="Fwd: your order", text=text))
    assert "Your order 1042 shipped." in parsed.text
