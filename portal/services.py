"""Portal operations: magic-link sign-in, and what a signed-in customer does.

A customer's messages and new tickets go through tickets.services (customer_message_add,
ticket_create), the services the API and the channels use, so SLA clocks, the outside-plan
answer, webhooks and follow-ups see them like any other customer message.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from customers.identities import normalize_email
from customers.models import Customer, CustomerIdentity, IdentityKind
from customers.services import customer_locale_guess
from tickets import services as tickets
from tickets.models import ChannelKind, Message, Ticket

from .mail import sign_in_mail_queue
from .models import PortalSignIn

logger = logging.getLogger(__name__)

LINK_SALT = "portal.sign-in-link"
SESSION_SALT = "portal.session"
PORTAL_TAG = "portal"


class RateLimited(Exception):
    """Too many sign-in links asked for this address or from this client in the hour."""

    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def _hits(scope: str, key: str, limit: int) -> int | None:
    """Count one request in this hour's window; the seconds to wait when over the limit.
    An unreachable cache lets the request through (logged), as the API throttle does."""
    window = int(time.time() // 3600)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    name = f"portal:links:{scope}:{digest}:{window}"
    try:
        cache.add(name, 0, timeout=3600)
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=3600)
        count = 1
    except Exception as exc:  # Redis down must not close the portal
        logger.warning("portal rate limit unavailable (%s); request let through", exc)
        return None
    if count > limit:
        return 3600 - int(time.time()) % 3600
    return None


def link_token(sign_in: PortalSignIn) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign(str(sign_in.pk))


def session_token(sign_in: PortalSignIn) -> str:
    return signing.TimestampSigner(salt=SESSION_SALT).sign(str(sign_in.pk))


@transaction.atomic
def sign_in_link_request(*, email: str, client_ip: str, browser_locale: str = "") -> None:
    """Send a sign-in link to `email` if it is one of a customer's email identities.

    Returns nothing and behaves alike for known and unknown addresses (no account
    enumeration): the same rate limits count both, and the mail leaves from a Celery task
    after commit, so the answer neither says nor takes longer for a known address.
    Raises RateLimited past PORTAL_LINKS_PER_HOUR per address or
    PORTAL_LINKS_PER_HOUR_PER_IP per client address; ValidationError for a malformed address.
    """
    try:
        address = normalize_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": [gettext("Enter a valid email address.")]}) from exc
    for scope, key, limit in (
        ("ip", client_ip, settings.PORTAL_LINKS_PER_HOUR_PER_IP),
        ("email", address, settings.PORTAL_LINKS_PER_HOUR),
    ):
        wait = _hits(scope, key, limit)
        if wait is not None:
            raise RateLimited(wait)
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=IdentityKind.EMAIL, value=address)
        .first()
    )
    if identity is None:
        return
    sign_in = PortalSignIn.objects.create(
        customer=identity.customer,
        email=address,
        expires_at=timezone.now() + timedelta(minutes=settings.PORTAL_LINK_TTL_MINUTES),
    )
    sign_in_mail_queue(sign_in, browser_locale=browser_locale)


def sign_in_from_link(token: str) -> PortalSignIn | None:
    """The unused, unexpired sign-in a link points at, or None (forged, tampered, expired,
    already used). Reads only: opening the link's page does not spend it (mail scanners
    fetch links), confirming does (sign_in_link_consume)."""
    try:
        pk = signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=timedelta(minutes=settings.PORTAL_LINK_TTL_MINUTES)
        )
    except signing.BadSignature:  # SignatureExpired included
        return None
    return (
        PortalSignIn.objects.select_related("customer")
        .filter(pk=pk, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


@transaction.atomic
def sign_in_link_consume(*, token: str, browser_locale: str = "") -> PortalSignIn | None:
    """Spend a sign-in link once and open its portal session: a conditional UPDATE, so two
    clicks at once sign in once. None when the link is not (or no longer) good. The customer's
    locale, when unknown, becomes the browser's language."""
    sign_in = sign_in_from_link(token)
    if sign_in is None:
        return None
    now = timezone.now()
    spent = PortalSignIn.objects.filter(pk=sign_in.pk, used_at__isnull=True).update(used_at=now)
    if not spent:
        return None
    sign_in.used_at = now
    customer_locale_guess(customer=sign_in.customer, header=browser_locale)
    return sign_in


def sign_in_from_session(token: str | None) -> PortalSignIn | None:
    """The open portal session a cookie carries, with its customer; None when forged,
    expired (PORTAL_SESSION_HOURS after sign-in) or signed out."""
    if not token:
        return None
    max_age = timedelta(hours=settings.PORTAL_SESSION_HOURS)
    try:
        pk = signing.TimestampSigner(salt=SESSION_SALT).unsign(token, max_age=max_age)
    except signing.BadSignature:
        return None
    return (
        PortalSignIn.objects.select_related("customer__organization")
        .filter(pk=pk, used_at__gt=timezone.now() - max_age, ended_at__isnull=True)
        .first()
    )


def portal_sign_out(*, sign_in: PortalSignIn) -> None:
    """End a portal session: its cookie no longer opens anything, even if kept."""
    PortalSignIn.objects.filter(pk=sign_in.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )


def portal_reply(*, ticket: Ticket, customer: Customer, body: str) -> Message:
    """The customer's reply from the portal: a customer message on the ticket (reopens a
    solved one, restarts next response after an agent's reply; a closed ticket refuses it
    with ConflictError), written on the web channel."""
    return tickets.customer_message_add(
        ticket=ticket, customer=customer, body=body, channel=ChannelKind.WEB
    )


def portal_ticket_open(*, customer: Customer, subject: str, body: str) -> Ticket:
    """A new ticket from the portal: web channel, tagged `portal`, the customer's request."""
    errors = {}
    if not subject.strip():
        errors["subject"] = [gettext("Say in a few words what it is about.")]
    if not body.strip():
        errors["body"] = [gettext("Describe what happened.")]
    if errors:
        raise ValidationError(errors)
    return tickets.ticket_create(
        requester=customer,
        subject=subject,
        body=body,
        channel=ChannelKind.WEB,
        tags=[PORTAL_TAG],
    )
