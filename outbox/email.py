"""The email transport: an envelope (from, subject, text, html, headers, attachments as
storage names) built when the row was written, sent through Django's mail backend.

Permanent: an invalid recipient address, an SMTP 5.x.x reply (recipient refused, message
rejected). Transient: SMTP 4.x.x, network errors, timeouts. The Message-ID is fixed in the
envelope, so a retried (or, after a killed worker, repeated) send carries the same one and
the receiving side can tell a repeat.
"""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email

from core.retry import PermanentError

from .models import OutboxMessage
from .transports import Sent


class SmtpTransient(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class SmtpPermanent(PermanentError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def message_id(*, domain: str | None, idstring: str) -> str:
    """A Message-ID (without <>) on the sending mailbox's domain, else on this host's name
    (Django's DNS_NAME: looked up once per process; make_msgid would ask socket.getfqdn()
    for each id, a resolver call per follow-up email of a sweep)."""
    return make_msgid(idstring=idstring, domain=domain or str(DNS_NAME)).strip("<>")


def envelope(
    *,
    sender: str,
    subject: str,
    body: str,
    html: str = "",
    message_id: str,
    headers: dict[str, str] | None = None,
    attachments: list[dict] | None = None,
) -> dict:
    """The payload of an email row. `attachments`: [{"name": storage name, "filename",
    "content_type"}]."""
    return {
        "from": sender,
        "subject": subject,
        "body": body,
        "html": html,
        "headers": {"Message-ID": f"<{message_id}>", **(headers or {})},
        "attachments": attachments or [],
    }


def _email(row: OutboxMessage) -> EmailMultiAlternatives:
    payload = row.payload
    email = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from"],
        to=[address.strip() for address in row.recipient.split(",")],
        headers=payload.get("headers", {}),
    )
    if payload.get("html"):
        email.attach_alternative(payload["html"], "text/html")
    for part in payload.get("attachments", []):
        with default_storage.open(part["name"], "rb") as handle:
            email.attach(part["filename"], handle.read(), part["content_type"])
    return email


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _refused(exc: smtplib.SMTPRecipientsRefused) -> Exception:
    codes = [code for code, _ in exc.recipients.values()]
    text = "; ".join(f"{to}: {code} {_text(msg)}" for to, (code, msg) in exc.recipients.items())
    if codes and all(code >= 500 for code in codes):
        return SmtpPermanent(f"recipient refused: {text}", status=max(codes))
    return SmtpTransient(f"recipient deferred: {text}", status=min(codes) if codes else None)


def send(row: OutboxMessage) -> Sent:
    for address in row.recipient.split(","):
        try:
            validate_email(address.strip())
        except ValidationError as exc:
            raise SmtpPermanent(f"invalid address {address.strip()!r}") from exc
    try:
        _email(row).send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise _refused(exc) from exc
    except smtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
        if exc.smtp_code >= 500:
            raise SmtpPermanent(text, status=exc.smtp_code) from exc
        raise SmtpTransient(text, status=exc.smtp_code) from exc
    return Sent(provider_id=row.payload.get("headers", {}).get("Message-ID", "").strip("<>"))
