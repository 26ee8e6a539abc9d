"""Automations: storing rules (validated, with who changed them) and running triggers.

Invariants of running:
- rules run in `position` order; each fires at most once per event;
- a change made by a rule does not fire that same rule again (the events its actions publish
  carry the rule as their source), and chains between rules stop at AUTOMATION_MAX_DEPTH
  with an `automation.loop_stopped` note on the ticket's audit trail;
- every firing is a ticket event `automation.fired` (which rule, on what event, what it did);
  a rule whose action fails is rolled back alone (savepoint) and audited `automation.failed`:
  the change that triggered it still happens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from tickets import services as ticket_services
from tickets.models import EventKind, Ticket, TicketEvent
from tickets.status import Status

from .actions import action_apply, actions_validate, status_done
from .conditions import Subject, conditions_match, conditions_validate
from .models import Rule, Timer, TimeRule, Trigger, TriggerEvent

logger = logging.getLogger(__name__)

FIRED = EventKind.AUTOMATION_FIRED
FAILED = EventKind.AUTOMATION_FAILED
LOOP_STOPPED = EventKind.AUTOMATION_LOOP_STOPPED


@dataclass(frozen=True)
class Chain:
    """Where we are in a chain of rule firings: the rule whose actions are running (its
    changes must not fire it again) and how many firings deep."""

    source: str | None = None
    depth: int = 0


_NO_CHAIN = Chain()
_chain: ContextVar[Chain] = ContextVar("automation_chain", default=_NO_CHAIN)


def max_depth() -> int:
    return getattr(settings, "AUTOMATION_MAX_DEPTH", 5)


def rule_key(rule: Rule) -> str:
    return f"{'time' if isinstance(rule, TimeRule) else 'trigger'}:{rule.pk}"


@contextmanager
def _running(rule: Rule) -> Iterator[None]:
    token = _chain.set(Chain(source=rule_key(rule), depth=_chain.get().depth + 1))
    try:
        yield
    finally:
        _chain.reset(token)


def _audit(ticket: Ticket, kind: str, **after: Any) -> TicketEvent:
    # The ticket's audit trail, through its one writer (no actor: a rule did it).
    return ticket_services.audit_record(ticket=ticket, kind=kind, after=after)


def rule_apply(rule: Rule, ticket: Ticket, *, event: str) -> list[str] | None:
    """Run a rule's actions on a ticket in a savepoint; audit what it did. None if it
    failed (rolled back alone, audited as failed). The firing is recorded before its actions
    run, so the audit trail lists a chain of rules in the order they fired."""
    done: list[str] = []
    key = rule_key(rule)
    try:
        with transaction.atomic(), _running(rule):
            record = _audit(ticket, FIRED, rule=key, name=rule.name, event=event, actions=[])
            for action in rule.actions:
                done.append(action_apply(Ticket.objects.get(pk=ticket.pk), action))
            record.after["actions"] = done
            record.save(update_fields=["after"])
    except Exception as exc:  # a bad action must not undo the change that triggered it
        logger.warning("automation %s on ticket %s failed: %s", key, ticket.pk, exc)
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        _audit(ticket, FAILED, rule=key, name=rule.name, event=event, error=message)
        return None
    return done


def rule_apply_status_many(rule: Rule, tickets: list[Ticket], *, event: str, status: str) -> None:
    """rule_apply for a rule whose one action is `set_status`, on a batch of tickets at once
    (the time-rule sweep): the firings audited before the change (as rule_apply records
    them; in the same INSERT as the status changes), the status set through
    tickets_status_set with the rule as the chain's source, so the ticket.updated events it
    publishes do not fire it again. Raises when any ticket cannot move: the caller rolls the
    batch back and goes row by row."""
    firing = {"rule": rule_key(rule), "name": rule.name, "event": event}
    firing["actions"] = [status_done(status)]
    fired = [ticket_services.AuditEntry(ticket.pk, FIRED, after=dict(firing)) for ticket in tickets]
    with _running(rule):
        ticket_services.tickets_status_set(tickets=tickets, status=status, audit_first=fired)


def triggers_matching(
    *, ticket: Ticket, event: str, message: Any = None, rules: list[Trigger] | None = None
) -> list[Trigger]:
    """The active triggers of `event` whose conditions hold for the ticket now (a dry run)."""
    if rules is None:
        rules = list(Trigger.objects.filter(event=event, active=True).order_by("position", "id"))
    subject = Subject(ticket=ticket, message=message)
    return [rule for rule in rules if conditions_match(rule.conditions, subject)]


def triggers_run(
    *, ticket: Ticket, event: str, message: Any = None, rules: list[Trigger] | None = None
) -> int:
    """Fire the matching triggers of `event` on the ticket, in order; returns how many fired.
    Each rule sees the ticket as the rules before it left it."""
    if rules is None:
        from .selectors import triggers_for

        rules = triggers_for(event)
    chain = _chain.get()
    rules = [rule for rule in rules if rule_key(rule) != chain.source]
    if not rules or ticket.status == Status.CLOSED:
        return 0
    if chain.depth >= max_depth():
        _audit(ticket, LOOP_STOPPED, event=event, after_rule=chain.source, depth=chain.depth)
        return 0
    fired = 0
    for rule in rules:
        ticket = Ticket.objects.select_related("requester", "organization").get(pk=ticket.pk)
        if ticket.status == Status.CLOSED:
            break
        if not conditions_match(rule.conditions, Subject(ticket=ticket, message=message)):
            continue
        if rule_apply(rule, ticket, event=event) is not None:
            fired += 1
    return fired


# --- storing rules -------------------------------------------------------------------------


_TRIGGER_FIELDS = {"name", "position", "active", "conditions", "actions", "event"}
_TIME_RULE_FIELDS = {
    "name",
    "position",
    "active",
    "conditions",
    "actions",
    "timer",
    "after",
    "unit",
    "business_time",
}


def _validated(rule: Rule, values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        try:
            if name == "conditions":
                value = conditions_validate(value)
            elif name == "actions":
                value = actions_validate(value)
            elif name == "event" and value not in TriggerEvent.values:
                raise ValidationError({"event": [f"Unknown event {value!r}."]})
            elif name == "timer" and value not in Timer.values:
                raise ValidationError({"timer": [f"Unknown timer {value!r}."]})
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            continue
        setattr(rule, name, value)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def trigger_save(*, trigger: Trigger, actor, **values: Any) -> Trigger:
    """Create or change a trigger. Conditions and actions are validated (unknown field,
    operator or action is a ValidationError, nothing stored); records who changed it."""
    unknown = set(values) - _TRIGGER_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: ["Unknown field."]})
    _validated(trigger, values)
    if not trigger.actions:
        raise ValidationError({"actions": ["Give a non-empty list of actions."]})
    trigger.updated_by = actor
    trigger.full_clean(exclude=["updated_by"])
    trigger.save()
    return trigger


@transaction.atomic
def time_rule_save(*, rule: TimeRule, actor, **values: Any) -> TimeRule:
    """Create or change a time rule (validated like triggers). Due rows of tickets already
    waiting are not rescheduled: a changed delay applies to timers that start from now on."""
    unknown = set(values) - _TIME_RULE_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: ["Unknown field."]})
    _validated(rule, values)
    if not rule.actions:
        raise ValidationError({"actions": ["Give a non-empty list of actions."]})
    rule.updated_by = actor
    rule.full_clean(exclude=["updated_by"])
    rule.save()
    return rule
