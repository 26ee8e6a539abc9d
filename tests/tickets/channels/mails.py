"""Realistic raw emails for tests: built with the stdlib like a mail client would, plus a few
verbatim messages (an Outlook reply in windows-1252, a bounce, an out-of-office)."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build(
    *,
    sender: str = "Kim Lee <kim@example.com>",
    to: str = "support@acme.test",
    subject: str = "Order 1042 arrived damaged",
    text: str = "Hello,\n\nthe box was crushed.\n\nKim",
    html: str | None = None,
    message_id: str = "<m1@mail.example.com>",
    in_reply_to: str | None = None,
    references: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
    inline_png_cid: str | None = None,
    charset: str = "utf-8",
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text, charset=charset)
    if html is not None:
        msg.add_alternative(html, subtype="html", charset=charset)
        if inline_png_cid:
            html_part = msg.get_payload()[1]
            html_part.add_related(PNG, "image", "png", cid=f"<{inline_png_cid}>")
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def address(name: str, addr: str) -> str:
    return str(Address(name, addr_spec=addr))


OUTLOOK_REPLY_CP1252 = (
    b"From: =?windows-1252?Q?J=FCrgen_M=FCller?= <juergen@example.de>\r\n"
    b"To: Acme Support <support@acme.test>\r\n"
    b"Subject: =?windows-1252?Q?AW:_R=FCckfrage_zur_Rechnung?= [#TICKET]\r\n"
    b"Message-ID: <AM0PR01MB1234@eurprd01.prod.outlook.com>\r\n"
    b"Date: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: text/plain; charset="windows-1252"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Gr=FC=DFe, die Rechnung ist jetzt =84korrekt=93 =96 danke!\r\n"
    b"\r\n"
    b"________________________________\r\n"
    b"Von: Acme Support <support@acme.test>\r\n"
    b"Gesendet: Montag, 23. November 2026 17:00\r\n"
    b"Betreff: R=FCckfrage zur Rechnung\r\n"
    b"\r\n"
    b"Bitte pr=FCfen Sie die Rechnung.\r\n"
)

BOUNCE = (
    b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\r\n"
    b"To: support@acme.test\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"Message-ID: <bounce-1@mx.example.com>\r\n"
    b"Auto-Submitted: auto-replied\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
    b"\r\n"
    b"--B\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"This is the mail system. Your message could not be delivered to kim@gone.example.\r\n"
    b"--B\r\n"
    b"Content-Type: message/delivery-status\r\n"
    b"\r\n"
    b"Reporting-MTA: dns; mx.example.com\r\n"
    b"\r\n"
    b"Final-Recipient: rfc822; kim@gone.example\r\n"
    b"Action: failed\r\n"
    b"Status: 5.1.1\r\n"
    b"--B--\r\n"
)


def out_of_office(in_reply_to: str = "") -> bytes:
    return build(
        sender="Kim Lee <kim@example.com>",
        subject="Automatic reply: Order 1042 arrived damaged",
        text="I am out of the office until Monday.",
        message_id="<ooo-1@mail.example.com>",
        in_reply_to=in_reply_to or None,
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
