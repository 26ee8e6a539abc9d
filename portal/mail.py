"""The sign-in mail: an outbox row, from the support mailbox, in the customer's language."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from customers.locales import locale_from_header
from outbox import email as email_transport
from outbox.models import OutboxMessage, Purpose
from outbox.services import outbox_enqueue
from tickets.channels import outbound, routing

from .models import PortalSignIn


def support_sender() -> str:
    """The support mailbox (the first active email channel) as the project's replies use
    it, else DEFAULT_FROM_EMAIL."""
    return outbound.mailbox_sender(routing.support_mailbox(None))


def sign_in_mail_queue(sign_in: PortalSignIn, *, browser_locale: str = "") -> OutboxMessage:
    """Queue the link's email in the caller's transaction (sent after commit by the outbox,
    retried on transient errors like every message that leaves)."""
    from .services import link_token

    customer = sign_in.customer
    mailbox = routing.support_mailbox(customer)
    locale = customer.locale or locale_from_header(browser_locale)
    path = reverse("portal:sign-in-link", kwargs={"token": link_token(sign_in)})
    with translation.override(locale or settings.LANGUAGE_CODE):
        body = render_to_string(
            "portal/email/sign_in.txt",
            {
                "customer": customer,
                "url": settings.PUBLIC_BASE_URL.rstrip("/") + path,
                "minutes": settings.PORTAL_LINK_TTL_MINUTES,
            },
        )
        subject = gettext("Your sign-in link to the support portal")
    return outbox_enqueue(
        transport="email",
        purpose=Purpose.SIGN_IN,
        recipient=sign_in.email,
        payload=email_transport.envelope(
            sender=outbound.mailbox_sender(mailbox),
            subject=subject,
            body=body,
            message_id=email_transport.message_id(
                domain=outbound.mailbox_domain(mailbox), idstring=f"signin.{sign_in.pk}"
            ),
            headers={"Auto-Submitted": "auto-generated"},
        ),
        channel="email",
        source=f"portal_sign_in:{sign_in.pk}",
    )
