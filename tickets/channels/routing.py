"""Where a public message goes: the one routing rule.

1. The ticket's own channel, when its adapter can carry replies (registry: capabilities
   `replies` and a `reply_transport`): an email ticket goes back to the mailbox it came to;
   a live chat or social ticket to its conversation, while that is open (an ended chat
   conversation no longer reaches the customer).
2. Otherwise the customer's best reachable identity: their email addresses in order, skipping
   the ones marked undeliverable (hard bounces); sent from the support mailbox of their last
   email ticket, else the default mailbox. Without one, their phone number by SMS when an
   SMS channel is configured (a missed call's ticket is answered by text).
3. Otherwise nothing: the API refuses the reply (422 `undeliverable`) unless the caller asks
   to record it unsent; an automatic message is recorded undeliverable.

`first_message_route(customer=...)` is the same rule for a ticket an agent is
about to open (proactive), before it exists. `Route.carries_attachments` says whether files
can go with the message (the route's adapter capabilities).

`reply_route(ticket)` answers before anything is written (the desk shows it above the reply
form, the reply service checks it) and again when the message is handed to the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from customers.models import Customer, IdentityKind

from ..models import ChannelKind, Ticket
from ..status import Status
from . import registry
from .models import Channel, ChannelThread

EMAIL_TRANSPORT = "email"


@dataclass(frozen=True)
class Route:
    transport: str  # the outbox transport ("email", "webhook", ...)
    kind: str  # the channel kind it goes out on, recorded on the message
    recipient: str  # an address, or the conversation's id
    channel: Channel | None = None
    thread: ChannelThread | None = None
    # The end of the kind's reply window (WhatsApp: 24 h after the customer's last message).
    window_closes_at: datetime | None = None

    @property
    def window_closed(self) -> bool:
        """Past the reply window: only a template message may go (none where no template)."""
        return self.window_closes_at is not None and self.window_closes_at <= timezone.now()

    @property
    def templates(self) -> list[dict]:
        """The templates this route's channel offers (adapter.reply_templates), or []."""
        found = _adapter(self.kind)
        if found is None or found.reply_templates is None or self.channel is None:
            return []
        return found.reply_templates(self.channel)

    @property
    def carries_attachments(self) -> bool:
        """Whether files can go with a message on this route (the adapter's capabilities, or
        its per-channel answer)."""
        found = _adapter(self.kind)
        if found is not None and found.attachments_for is not None:
            return bool(found.attachments_for(self.channel))
        return bool(found and found.capabilities.attachments)

    def describe(self) -> str:
        """What the desk says before sending: "Sends by email to kim@example.com"."""
        if self.transport == EMAIL_TRANSPORT:
            return gettext("Sends by email to %(to)s") % {"to": self.recipient}
        label = _label(self.kind)
        text = gettext("Sends on %(channel)s (conversation %(to)s)") % {
            "channel": label,
            "to": self.recipient,
        }
        if self.window_closed:
            return f"{text}. {window_closed_reason(self)}"
        if self.window_closes_at is not None:
            return f"{text}. " + gettext(
                "Free text until %(at)s (its reply window); after that only a template."
                if self.templates
                else "Replies until %(at)s (its reply window)."
            ) % {"at": _when(self.window_closes_at)}
        return text


def _when(at: datetime) -> str:
    return date_format(timezone.localtime(at), "D j M H:i T")


def window_closed_reason(route: Route) -> str:
    """What the desk and the API say when the reply window is closed (422
    `reply_window_closed` at the API, before anything is written)."""
    text = gettext(
        "The reply window of this %(channel)s conversation closed at %(at)s, %(hours)s hours "
        "after the customer's last message."
    ) % {
        "channel": _label(route.kind),
        "at": _when(route.window_closes_at),
        "hours": _window_hours(route.kind),
    }
    if route.templates:
        return text + " " + gettext("Only a template message can be sent now: pick a template.")
    return text + " " + gettext("Nothing can be sent on it until the customer writes again.")


def _window_hours(kind: str) -> int:
    window = _adapter(kind).capabilities.reply_window
    return int(window.total_seconds() // 3600) if window else 0


def template_message(route: Route | None, key: str, body: str) -> tuple[str, dict]:
    """The text a template reply puts on the ticket (what the customer reads) and what the
    transport sends, for the template `key` ("name:language", or the name when only one
    language has it) offered by the route; ValidationError on `template` or `body`."""
    offered = route.templates if route is not None else []
    found = [t for t in offered if key in (t["key"], t["name"])]
    if len(found) != 1:
        names = ", ".join(t["key"] for t in offered) or gettext("none")
        raise ValidationError(
            {"template": [gettext("Not a template of this channel (offered: %s).") % names]}
        )
    template, text = found[0], body.strip()
    if template["takes_text"] and not text:
        raise ValidationError({"body": [gettext("This template takes your text as {{1}}.")]})
    if not template["takes_text"] and text:
        raise ValidationError(
            {"body": [gettext("This template takes no text: leave the message empty.")]}
        )
    spec = {"name": template["name"], "language": template["language"]}
    spec["params"] = [text] if template["takes_text"] else []
    return template["text"].replace("{{1}}", text), spec


def _label(kind: str) -> str:
    try:
        return registry.adapter(kind).label
    except KeyError:
        return ChannelKind(kind).label if kind in ChannelKind.values else kind


def _adapter(kind: str) -> registry.ChannelAdapter | None:
    try:
        return registry.adapter(kind)
    except KeyError:
        return None


def best_email(customer: Customer) -> str:
    """The customer's first email address not marked undeliverable; "" when none."""
    for identity in customer.identities.all():
        if identity.kind == IdentityKind.EMAIL and identity.undeliverable_at is None:
            return identity.value
    return ""


def support_mailbox(customer: Customer, ticket: Ticket | None = None) -> Channel | None:
    """The mailbox that writes to this customer: the email channel of the ticket (when it
    came by email), else of the customer's last email ticket, else the first active one."""
    threads = ChannelThread.objects.filter(channel__kind=ChannelKind.EMAIL, channel__is_active=True)
    mine = threads.filter(ticket=ticket) if ticket is not None else threads.none()
    thread = (
        mine.select_related("channel").order_by("-last_message_at", "-id").first()
        or threads.filter(ticket__requester=customer)
        .select_related("channel")
        .order_by("-last_message_at", "-id")
        .first()
    )
    if thread is not None:
        return thread.channel
    return (
        Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True)
        .exclude(address="")
        .order_by("id")
        .first()
    )


def support_mailboxes(customer_ids: list[int]) -> dict[int, Channel | None]:
    """support_mailbox(customer) for many customers at once (a sweep's batch): the email
    channel of each one's last email ticket (one DISTINCT ON query), else the first active
    mailbox (one more query, only when some customer has none)."""
    threads = (
        ChannelThread.objects.filter(
            channel__kind=ChannelKind.EMAIL,
            channel__is_active=True,
            ticket__requester_id__in=customer_ids,
        )
        .select_related("channel")
        .annotate(customer_id=models.F("ticket__requester_id"))
        .order_by("ticket__requester_id", "-last_message_at", "-id")
        .distinct("ticket__requester_id")
    )
    found = {thread.customer_id: thread.channel for thread in threads}
    if len(found) < len(set(customer_ids)):
        first = (
            Channel.objects.filter(kind=ChannelKind.EMAIL, is_active=True)
            .exclude(address="")
            .order_by("id")
            .first()
        )
        found.update({pk: first for pk in customer_ids if pk not in found})
    return found


def _email_route(ticket: Ticket) -> Route | None:
    return _customer_email_route(ticket.requester, ticket)


def best_phone(customer: Customer) -> str:
    """The customer's first phone number not marked undeliverable (E.164); "" when none."""
    for identity in customer.identities.all():
        if identity.kind == IdentityKind.PHONE and identity.undeliverable_at is None:
            return identity.value
    return ""


def _customer_sms_route(customer: Customer) -> Route | None:
    """The customer's phone by SMS, when an active SMS channel can send: on the open SMS
    conversation of that number if there is one (their answer goes on where it is), else
    from the first SMS channel, with a conversation the outbox opens for the ticket
    (outbound.sms_thread_open) so their answer lands on it."""
    found = _adapter(ChannelKind.SMS)
    number = best_phone(customer) if found is not None and found.reply_transport else ""
    if not number:
        return None
    live = (
        ChannelThread.objects.select_related("channel")
        .filter(channel__kind=ChannelKind.SMS, channel__is_active=True, key=number, ended_at=None)
        .exclude(ticket__status=Status.CLOSED)
        .order_by("-last_message_at", "-id")
        .first()
    )
    channel = (
        live.channel
        if live is not None
        else Channel.objects.filter(kind=ChannelKind.SMS, is_active=True).order_by("id").first()
    )
    if channel is None:
        return None
    thread = live or ChannelThread(channel=channel, key=number)  # unsaved: opened on send
    return Route(
        transport=found.reply_transport,
        kind=ChannelKind.SMS,
        recipient=number,
        channel=channel,
        thread=thread,
    )


def _customer_email_route(customer: Customer, ticket: Ticket | None = None) -> Route | None:
    address = best_email(customer)
    if not address:
        return None
    return Route(
        transport=EMAIL_TRANSPORT,
        kind=ChannelKind.EMAIL,
        recipient=address,
        channel=support_mailbox(customer, ticket),
    )


def conversation_id(thread: ChannelThread) -> str:
    """A social thread's key is "<platform>:<conversation>"; a chat thread's is the id."""
    if thread.channel.kind == ChannelKind.SOCIAL:
        return thread.key.split(":", 1)[-1]
    return thread.key


def _conversation_route(ticket: Ticket, transport: str) -> Route | None:
    thread = (
        ChannelThread.objects.select_related("channel")
        .filter(
            ticket=ticket,
            channel__kind=ticket.channel,
            channel__is_active=True,
            ended_at__isnull=True,
        )
        .order_by("-last_message_at", "-id")
        .first()
    )
    if thread is None:
        return None
    if transport == "webhook" and not thread.channel.settings.get("webhook_url"):
        return None
    window = _adapter(ticket.channel).capabilities.reply_window
    return Route(
        transport=transport,
        kind=ticket.channel,
        recipient=conversation_id(thread),
        channel=thread.channel,
        thread=thread,
        window_closes_at=thread.last_message_at + window if window else None,
    )


def _own_channel_route(ticket: Ticket) -> Route | None:
    adapter = _adapter(ticket.channel)
    if adapter is None or not adapter.capabilities.replies or not adapter.reply_transport:
        return None
    if adapter.reply_transport == EMAIL_TRANSPORT:
        return _email_route(ticket)
    return _conversation_route(ticket, adapter.reply_transport)


def reply_route(ticket: Ticket) -> Route | None:
    """Where a public message on `ticket` goes now; None when nothing can carry it."""
    return (
        _own_channel_route(ticket) or _email_route(ticket) or _customer_sms_route(ticket.requester)
    )


def first_message_route(*, customer: Customer) -> Route | None:
    """Where the first message of a ticket not opened yet (an agent reaching out) would go:
    reply_route's rule for a ticket without a conversation. Email goes to the customer's
    email; a conversation kind (chat, social) has no open conversation for a new ticket, so
    it falls back to the email as well; None when nothing can carry it. Checked before the
    ticket is written; the outbox asks reply_route again once it exists."""
    return _customer_email_route(customer) or _customer_sms_route(customer)


def unreachable_reason() -> str:
    """Why first_message_route found nothing (a new ticket reaching out)."""
    return gettext(
        "Nothing can reach this customer: a new ticket has no open conversation, and they have "
        "no email address that is not marked undeliverable, nor a phone number an SMS channel "
        "could text. Record their request instead, or add an email address."
    )


def attachments_refused_reason(route: Route) -> str:
    return gettext(
        "Files cannot be attached: this message goes on %(channel)s, which does not carry "
        "attachments. Remove them, or add them to an internal note."
    ) % {"channel": _label(route.kind)}


def undeliverable_reason(ticket: Ticket) -> str:
    return gettext(
        "Nothing can carry a reply: the %(channel)s channel does not reach the customer and "
        "they have no email address that is not marked undeliverable, nor a phone number an "
        "SMS channel could text."
    ) % {"channel": _label(ticket.channel)}
