"""The hybrid-tier rule: a tier serves the channels it lists. A ticket that arrives on another
channel is still accepted (never dropped) and measured with the tier's policy, but flagged
`outside_plan` and answered once with a pointer to the channels and self-service the tier
offers: the customer is not punished for picking the wrong door, but learns which doors
their plan has.
"""

from __future__ import annotations

from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.models import ChannelKind, EventKind, Ticket

from .models import SlaTier

OUTSIDE_PLAN_REASON = "outside_plan"


def tier_serves(tier: SlaTier | None, channel: str) -> bool:
    """No tier, or a tier that lists no channels, serves every channel."""
    return tier is None or not tier.channels or channel in tier.channels


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
        ticket=ticket, body=outside_plan_text(tier), reason=OUTSIDE_PLAN_REASON
    )


def outside_plan_text(tier: SlaTier) -> str:
    labels = dict(ChannelKind.choices)
    channels = ", ".join(str(labels.get(c, c)) for c in tier.channels)
    text = (
        f"Thank you for your message: we have received it and will answer it. "
        f"Your {tier.name} plan includes support by {channels}; please use "
        f"{'it' if len(tier.channels) == 1 else 'one of these'} next time for the fastest answer."
    )
    if tier.self_service:
        where = f" at {tier.self_service_url}" if tier.self_service_url else ""
        text += f" Many questions are answered right away in our help center{where}."
    return text
