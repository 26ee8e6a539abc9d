"""The sign-in mail: from the support mailbox, in the customer's language."""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from customers.locales import locale_from_header
from tickets.channels.models import Channel
from tickets.models import ChannelKind

from .models import PortalSignIn


def support_sender() -> str:
    """The support mailbox (the first active email channel) as the project's replies use
    it, else DEFAULT_FROM_EMAIL."""
    channel = (
        Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True)
        .exclude(address="")
        .order_by("id")
        .first()
    )
    if channel is None:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((channel.settings.get("from_name", ""), channel.address))


def sign_in_mail_send(sign_in_id: int, *, browser_locale: str = "") -> bool:
    from .services import link_token

    sign_in = (
        PortalSignIn.objects.select_related("customer")
        .filter(pk=sign_in_id, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if sign_in is None:
        return False
    locale = sign_in.customer.locale or locale_from_header(browser_locale)
    path = reverse("portal:sign-in-link", kwargs={"token": link_token(sign_in)})
    with translation.override(locale or settings.LANGUAGE_CODE):
        body = render_to_string(
            "portal/email/sign_in.txt",
            {
                "customer": sign_in.customer,
                "url": settings.PUBLIC_BASE_URL.rstrip("/") + path,
                "minutes": settings.PORTAL_LINK_TTL_MINUTES,
            },
        )
        subject = gettext("Your sign-in link to the support portal")
    EmailMessage(
        subject=subject,
        body=body,
        from_email=support_sender(),
        to=[sign_in.email],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()
    return True
