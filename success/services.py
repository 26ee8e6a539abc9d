"""Deliveries, follow-up scheduling and execution.

A trigger (a delivery, a solved ticket, an at-risk flag, a new customer) schedules one FollowUp
row per matching active rule, unique per (rule, subject): replaying the trigger schedules
nothing more. The follow-up sweep (tasks.followup_sweep) executes due rows exactly once, with
the quiet rule checked at execution time, when it is true.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import events
from core.process_cache import ProcessCache
from core.retry import backoff
from customers.models import Customer
from outbox import email as email_transport
from outbox.models import OutboxMessage, Purpose, State
from outbox.services import outbox_enqueue_many, outbox_retry
from slas.selectors import business_deadline, customer_tier
from tickets import services as tickets
from tickets.channels import outbound, routing
from tickets.models import Direction, Message, Ticket, TicketKind
from tickets.status import UNRESOLVED

from .models import Action, Delivery, FollowUp, FollowUpRule, FollowUpState, Survey, Trigger
from .surveys import survey_send
from .templates import _render, template_check  # noqa: F401 (template_check: serializers, admin)

logger = logging.getLogger(__name__)


def rule_check(*, trigger: str, action: str, body: str = "", channels=(), products=()) -> None:
    """What a follow-up rule's fields must agree on (the API's serializer and the admin's
    form both call it): a survey follows a solved ticket, an email has a body, channels only
    for ticket triggers, products only for deliveries. Raises ValidationError by field."""
    errors: dict[str, list[str]] = {}
    if action == Action.SURVEY and trigger != Trigger.TICKET_SOLVED:
        errors["action"] = ["A survey follows a solved ticket (trigger ticket_solved)."]
    if action == Action.EMAIL and not body:
        errors["body"] = ["An email rule needs a body."]
    if channels and trigger != Trigger.TICKET_SOLVED:
        errors["channels"] = ["Only ticket triggers have a channel to match."]
    if products and trigger != Trigger.DELIVERY:
        errors["products"] = ["Only delivery triggers have products to match."]
    if errors:
        raise ValidationError(errors)


def delay_end(rule: FollowUpRule, customer: Customer, start: datetime) -> datetime:
    """When a rule's delay from `start` is over: calendar minutes, or business minutes on the
    calendar of the customer's SLA policy (24/7 when it has none)."""
    if not rule.delay_in_business_time:
        return start + timedelta(minutes=rule.delay_minutes)
    return business_deadline(customer=customer, start=start, minutes=rule.delay_minutes)


# --- Deliveries ---------------------------------------------------------------------------------


@transaction.atomic
def delivery_record(
    *,
    customer: Customer,
    source,
    external_ref: str,
    delivered_at: datetime,
    products: Iterable[str] = (),
) -> tuple[Delivery, bool]:
    """Record a delivery once per (source, external_ref); returns (delivery, created).

    A replay returns the first row unchanged and schedules nothing: the integration may retry
    as often as it likes.
    """
    existing = Delivery.objects.filter(source=source, external_ref=external_ref).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                customer=customer,
                source=source,
                external_ref=external_ref,
                delivered_at=delivered_at,
                products=list(products),
            )
    except IntegrityError:  # a concurrent replay won the race
        return Delivery.objects.get(source=source, external_ref=external_ref), False
    followups_schedule(
        trigger=Trigger.DELIVERY,
        customer=customer,
        subject_key=f"delivery:{delivery.pk}",
        start=delivered_at,
        delivery=delivery,
        products=delivery.products,
    )
    return delivery, True


# --- Scheduling ---------------------------------------------------------------------------------


def _active_rules() -> list[tuple[FollowUpRule, frozenset[int]]]:
    rules = FollowUpRule.objects.filter(active=True).prefetch_related("tiers")
    return [(rule, frozenset(t.pk for t in rule.tiers.all())) for rule in rules]


# Every new customer, delivery and solved ticket asks which rules apply: read once per process
# (success.handlers clears it on a rule's change here; FOLLOWUP_RULES_CACHE_SECONDS elsewhere).
ACTIVE_RULES = ProcessCache(_active_rules, seconds_setting="FOLLOWUP_RULES_CACHE_SECONDS")


def rules_wait_for(trigger: str) -> bool:
    """Whether any active rule follows this trigger."""
    return any(rule.trigger == trigger for rule, _tiers in ACTIVE_RULES.get())


def rules_matching(
    *, trigger: str, customer: Customer, channel: str = "", products: Iterable[str] = ()
) -> list[FollowUpRule]:
    tier = customer_tier(customer)
    wanted_products = set(products)
    matching = []
    for rule, tiers in ACTIVE_RULES.get():
        if rule.trigger != trigger:
            continue
        if tiers and (tier is None or tier.pk not in tiers):
            continue
        if rule.channels and channel not in rule.channels:
            continue
        if rule.products and not wanted_products & set(rule.products):
            continue
        matching.append(rule)
    return matching


def followups_schedule(
    *,
    trigger: str,
    customer: Customer,
    subject_key: str,
    start: datetime | None = None,
    delivery: Delivery | None = None,
    ticket: Ticket | None = None,
    channel: str = "",
    products: Iterable[str] = (),
) -> list[FollowUp]:
    """Schedule one follow-up per matching rule for this subject; replays add nothing."""
    start = start or timezone.now()
    rows = [
        FollowUp(
            rule=rule,
            customer=customer,
            subject_key=subject_key,
            delivery=delivery,
            ticket=ticket,
            due_at=delay_end(rule, customer, start),
        )
        for rule in rules_matching(
            trigger=trigger, customer=customer, channel=channel, products=products
        )
    ]
    if not rows:
        return []
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        FollowUp.objects.filter(
            subject_key=subject_key, rule__in=[row.rule for row in rows], customer=customer
        )
    )


def followup_schedule_for_ticket(
    *, rule: FollowUpRule, ticket: Ticket, subject_key: str, start: datetime | None = None
) -> FollowUp:
    """Schedule one follow-up of this rule about a ticket (an automation's action), after the
    rule's delay; once per (rule, subject_key): asking again returns the first one."""
    followup, _ = FollowUp.objects.get_or_create(
        rule=rule,
        subject_key=subject_key[:80],
        defaults={
            "customer": ticket.requester,
            "ticket": ticket,
            "due_at": delay_end(rule, ticket.requester, start or timezone.now()),
        },
    )
    return followup


# --- Execution (called by the sweep, one row at a time, row locked) -----------------------------


def due_followups():
    return FollowUp.objects.filter(
        state=FollowUpState.SCHEDULED, due_at__lte=timezone.now()
    ).order_by("due_at")


def _quiet_reason(followup: FollowUp, open_elsewhere: bool | None = None) -> str:
    """Why the follow-up stays quiet, or "". `open_elsewhere` (whether the customer has an
    open ticket other than the follow-up's own) when the caller knows it (a sweep's batch)."""
    rule, customer = followup.rule, followup.customer
    if rule.quiet_if_open_ticket:
        if open_elsewhere is None:
            open_tickets = Ticket.objects.filter(requester=customer, status__in=UNRESOLVED)
            if followup.ticket_id:
                open_tickets = open_tickets.exclude(pk=followup.ticket_id)
            open_elsewhere = open_tickets.exists()
        if open_elsewhere:
            return "quiet: the customer has an open ticket"
    if rule.quiet_days:
        since = timezone.now() - timedelta(days=rule.quiet_days)
        contacted = (
            FollowUp.objects.filter(
                customer=customer, state=FollowUpState.SENT, done_at__gte=since
            ).exists()
            or Message.objects.filter(
                ticket__requester=customer,
                direction=Direction.OUTBOUND,
                is_public=True,
                created_at__gte=since,
            )
            .exclude(ticket_id=followup.ticket_id)
            .exists()
        )
        if contacted:
            return f"quiet: contacted in the last {rule.quiet_days} days"
    return ""


def _done(followup: FollowUp, state: str, outcome: str) -> None:
    followup.state = state
    followup.outcome = outcome[:200]
    followup.done_at = timezone.now()
    followup.save(update_fields=["state", "outcome", "done_at", "result_ticket", "result_message"])


def followup_execute(followup: FollowUp) -> None:
    """Carry out one due follow-up (or skip it), recording the outcome on the row."""
    rule = followup.rule
    if not rule.active:
        return _done(followup, FollowUpState.CANCELLED, "rule deactivated")
    quiet = _quiet_reason(followup)
    if quiet:
        return _done(followup, FollowUpState.SKIPPED, quiet)
    if rule.action == Action.EMAIL:
        outcome = _send_email(followup)
    elif rule.action == Action.SURVEY:
        outcome = survey_send(followup)
    else:
        outcome = _open_outreach(followup)
    if outcome.startswith("skipped:"):
        return _done(followup, FollowUpState.SKIPPED, outcome.removeprefix("skipped:").strip())
    if followup.outbox_message_id is not None:
        # In the outbox: sent (or failed) when a transport says so (on_delivery_outcome).
        followup.save(update_fields=["outbox_message", "message_id"])
        return _done(followup, FollowUpState.SENDING, outcome)
    _done(followup, FollowUpState.SENT, outcome)
    _announce(followup)


def _announce(followup: FollowUp) -> None:
    events.publish(
        events.FOLLOWUP_SENT,
        customer=followup.customer,
        ticket=followup.result_ticket or followup.ticket,
        data={"followup": followup.pk, "rule": followup.rule_id, "action": followup.rule.action},
    )


def on_reply_opened_ticket(*, ticket: Ticket, keys: list[str]) -> None:
    """An email answering a follow-up opened a ticket: link them (email ticket_match listener)."""
    FollowUp.objects.filter(message_id__in=keys, reply_ticket__isnull=True).update(
        reply_ticket=ticket
    )


def on_delivery_outcome(row: OutboxMessage) -> None:
    """Outbox listener: the follow-up (and survey) a row carries is sent, or failed, now."""
    followup = (
        FollowUp.objects.select_related("rule", "customer", "ticket", "result_ticket")
        .filter(outbox_message=row, state=FollowUpState.SENDING)
        .first()
    )
    if followup is None:
        return
    if row.state == State.SENT:
        if followup.rule.action == Action.SURVEY and followup.ticket_id:
            Survey.objects.filter(ticket_id=followup.ticket_id, sent_at__isnull=True).update(
                sent_at=row.sent_at
            )
        _done(followup, FollowUpState.SENT, f"{followup.outcome} (sent)"[:200])
        return _announce(followup)
    followup.error = row.error[:2000]
    followup.save(update_fields=["error"])
    _done(followup, FollowUpState.FAILED, f"{followup.outcome} (delivery failed)"[:200])


def followup_failed(followup: FollowUp, exc: Exception) -> None:
    """A failed attempt: retry with exponential backoff, then stay failed with the error."""
    followup.attempts += 1
    followup.error = f"{type(exc).__name__}: {exc}"[:2000]
    if followup.attempts >= settings.FOLLOWUP_MAX_ATTEMPTS:
        followup.state = FollowUpState.FAILED
        followup.done_at = timezone.now()
    else:
        followup.due_at = timezone.now() + backoff(followup.attempts, base=120)
    followup.save(update_fields=["attempts", "error", "state", "done_at", "due_at"])


@transaction.atomic
def followup_retry(followup: FollowUp) -> FollowUp:
    """A manager sends a failed follow-up again (after fixing what made it fail): a failed
    email goes again from the outbox (same Message-ID); a follow-up that failed before
    anything was queued is scheduled again."""
    if followup.state != FollowUpState.FAILED:
        raise ValidationError({"state": ["Only a failed follow-up can be retried."]})
    row = followup.outbox_message
    if row is not None and row.state == State.FAILED:
        outbox_retry(row=row)
        followup.state = FollowUpState.SENDING
        followup.done_at = None
        followup.save(update_fields=["state", "done_at"])
        return followup
    followup.state = FollowUpState.SCHEDULED
    followup.attempts = 0
    followup.due_at = timezone.now()
    followup.done_at = None
    followup.save(update_fields=["state", "attempts", "due_at", "done_at"])
    return followup


@transaction.atomic
def rule_delete(*, rule: FollowUpRule) -> bool:
    """Delete a follow-up rule; a rule with history (follow-ups it scheduled) is deactivated
    instead, so its follow-ups keep their rule. Returns whether the row was deleted."""
    if rule.followups.exists():
        rule.active = False
        rule.save(update_fields=["active", "updated_at"])
        return False
    rule.delete()
    return True


def _send_email(followup: FollowUp) -> str:
    """Queue the follow-up email in the outbox, from the customer's support mailbox, with a
    Message-ID on its domain (remembered: a reply continues the conversation) and
    Auto-Submitted: auto-generated (RFC 3834)."""
    address = routing.best_email(followup.customer)
    if not address:
        return NO_ADDRESS
    mailbox = routing.support_mailbox(followup.customer)
    [followup.outbox_message] = outbox_enqueue_many([email_row(followup, address, mailbox)])
    if mailbox is not None and followup.ticket is not None:
        # A reply continues the ticket the follow-up is about (and links it, see below).
        tickets.thread_key_remember(
            channel=mailbox, key=followup.message_id, ticket=followup.ticket
        )
    return f"email to {address}"


NO_ADDRESS = "skipped: the customer has no deliverable email address"


def email_row(followup: FollowUp, address: str, mailbox) -> OutboxMessage:
    """The follow-up's email as an unsaved outbox row (rendered in the customer's language);
    sets the follow-up's Message-ID. The one rendering of a follow-up email: the sweep's
    batch (success.sweep_batch) queues many of these with one INSERT."""
    message_id = email_transport.message_id(
        domain=outbound.mailbox_domain(mailbox), idstring=f"followup.{followup.pk}"
    )
    followup.message_id = message_id
    return OutboxMessage(
        transport="email",
        purpose=Purpose.FOLLOWUP,
        recipient=address,
        payload=email_transport.envelope(
            sender=outbound.mailbox_sender(mailbox),
            subject=_render(followup.rule.subject, followup) or followup.rule.name,
            body=_render(followup.rule.body, followup),
            message_id=message_id,
            headers={"Auto-Submitted": "auto-generated"},
        ),
        channel="email",
        source=f"followup:{followup.pk}",
        provider_id=message_id,
    )


def _open_outreach(followup: FollowUp) -> str:
    rule = followup.rule
    subject = _render(rule.subject, followup) or f"Reach out: {rule.name}"
    note = _render(rule.body, followup) or rule.name
    ticket = tickets.ticket_create(
        requester=followup.customer,
        subject=subject,
        body=note,
        channel=rule.outreach_channel,
        team=rule.team,
        kind=TicketKind.PROACTIVE,
        public=False,  # the first message is the team's brief, not something to send
    )
    followup.result_ticket = ticket
    return f"outreach ticket #{ticket.pk} opened"
