"""The hybrid-tier rule: a tier serves the channels it lists. A ticket that arrives on another
channel is still accepted (never dropped) and measured with the tier's policy, but flagged
`outside_plan` and answered once with a pointer to the channels and self-service the tier
offers: the customer is not punished for picking the wrong door, but learns which doors
their plan has.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext

from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.channels import registry
from tickets.models import EventKind, Ticket, TicketKind

from .models import SlaTier

OUTSIDE_PLAN_REASON = "outside_plan"


def tier_serves(tier: SlaTier | None, channel: str) -> bool:
    """No tier, or a tier that lists no channels, serves every channel; so does every tier
    serve a kind no customer picks (the adapter's `served_by_every_tier`: `api`)."""
    if tier is None or not tier.channels or channel in tier.channels:
        return True
    adapter = registry.find(channel)
    return adapter is not None and adapter.served_by_every_tier


def is_outside_plan(ticket: Ticket, tier: SlaTier | None) -> bool:
    """A customer's ticket on a channel their tier does not serve. A proactive ticket (we
    reached out: at-risk outreach, a follow-up call) never is: the customer picked no door,
    so there is nothing to point them away from."""
    return ticket.kind == TicketKind.REACTIVE and not tier_serves(tier, ticket.channel)


def _channel_name(kind: str) -> str:
    """How the automatic answer names a channel in its sentence ("support by Email, ...")."""
    adapter = registry.find(kind)
    return str(adapter.label) if adapter is not None else kind


def outside_plan_apply(ticket: Ticket, tier: SlaTier, *, auto_reply: bool) -> None:
    """Flag the ticket and record why; reply once per ticket, never to an auto-reply (an
    out-of-office answered by a pointer would answer back)."""
    if not ticket.outside_plan:
        ticket_services.ticket_sla_fields_set(ticket=ticket, outside_plan=True)
    ticket_services.audit_record(
        ticket=ticket,
        kind=EventKind.SLA_OUTSIDE_PLAN,
        after={"channel": ticket.channel, "tier": tier.name},
    )
    if auto_reply or ticket_selectors.system_message_sent(ticket, reason=OUTSIDE_PLAN_REASON):
        return
    ticket_services.system_message_add(
        ticket=ticket,
        body=outside_plan_text(tier, ticket.requester.locale, ticket=ticket),
        reason=OUTSIDE_PLAN_REASON,
    )


# Providers of a better self-service pointer than the tier's URL: callables
# `(ticket=, tier=) -> str` ("" when they have nothing). knowledge/ registers one (matching
# help-center articles); slas never imports it.
SELF_SERVICE_HINTS: list = []


def _self_service_hint(ticket: Ticket | None, tier: SlaTier) -> str:
    if ticket is None:
        return ""
    hints = (hint(ticket=ticket, tier=tier) for hint in SELF_SERVICE_HINTS)
    return next((h for h in hints if h), "")


def outside_plan_text(tier: SlaTier, locale: str = "", ticket: Ticket | None = None) -> str:
    """The automatic answer to a message on a channel the tier does not serve, in the
    customer's language (customers.Customer.locale) where we have a translation; for a
    self-service tier, the matching help-center articles when a provider finds some."""
    with translation.override(locale or settings.LANGUAGE_CODE):
        separator = pgettext("list separator", ", ")
        channels = separator.join(_channel_name(c) for c in tier.channels)
        values = {"tier": tier.name, "channels": channels}
        if len(tier.channels) == 1:
            text = gettext(
                "Thank you for your message: we have received it and will answer it. Your "
                "%(tier)s plan includes support by %(channels)s; please use it next time for "
                "the fastest answer."
            )
        else:
            text = gettext(
                "Thank you for your message: we have received it and will answer it. Your "
                "%(tier)s plan includes support by %(channels)s; please use one of these next "
                "time for the fastest answer."
            )
        text %= values
        hint = _self_service_hint(ticket, tier) if tier.self_service else ""
        if hint:
            text += " " + hint
        elif tier.self_service and tier.self_service_url:
            text += " " + gettext(
                "Many questions are answered right away in our help center at %(url)s."
            ) % {"url": tier.self_service_url}
        elif tier.self_service:
            text += " " + gettext("Many questions are answered right away in our help center.")
    return text
