"""Domain events: what happened, published inside the transaction that made it happen.

Services publish (`publish(TICKET_CREATED, ticket=..., message=...)`); other apps subscribe in
`<app>/handlers.py` (`subscribe(TICKET_CREATED, handler)` in its `connect()`), connected in one
explicit order by helpdesk/wiring.py. Handlers run synchronously, in order of subscription (an
event's own subscribers, then "*" ones, then `subscribe_many` ones), in the publisher's
transaction, so whatever they write (SLA clocks, a webhook delivery row, a scheduled follow-up)
commits or rolls back together with the change.
Handlers therefore must not do network I/O: they write rows, and Celery (queued with
transaction.on_commit, or a sweep over due rows) does the slow part afterwards.

A set-based service (a sweep changing a batch of tickets) announces its changes with
`publish_many`: each subscriber sees every event, in the usual subscriber order; a plain
handler registered with a batch form (`subscribe(type, handler, many=...)`) gets the whole
list at once, so a batch costs it a few statements instead of a few per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

# Event types. Webhook subscribers see the same names.
# A new ticket about to be written (`ticket` unsaved: no pk, its `created_at` set): subscribers
# set on it what they derive from its fields (the SLA engine: `next_due_at`, `outside_plan`),
# so its one INSERT carries them; rows that need its id wait for TICKET_CREATED.
TICKET_OPENING = "ticket.opening"
TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
MESSAGE_CREATED = "message.created"
# A public message the outbox finally gave up on (permanent error, or attempts spent).
MESSAGE_DELIVERY_FAILED = "message.delivery_failed"
CUSTOMER_CREATED = "customer.created"
SLA_WARNING = "sla.warning"
SLA_BREACHED = "sla.breached"
FOLLOWUP_SENT = "followup.sent"
SURVEY_ANSWERED = "survey.answered"
CUSTOMER_AT_RISK = "customer.at_risk"
# An organization's fields changed (`changes`: field -> (before, after)), e.g. its SLA tier.
ORGANIZATION_UPDATED = "organization.updated"
# A customer's own SLA fields changed (`changes`: "tier" / "sla_policy" -> (before, after) ids).
CUSTOMER_UPDATED = "customer.updated"
# `data["source"]` is about to be merged into `customer`: published before any row moves, so
# each app can record what the source still holds (tickets audit `requester_merged`).
CUSTOMER_MERGING = "customer.merging"
# Goodwill (goodwill.services): a gesture granted (within the limit, or approved by a manager),
# requested (above the limit, waiting for a manager) or declined; `data["gesture"]` says what.
GOODWILL_GRANTED = "goodwill.granted"
GOODWILL_REQUESTED = "goodwill.requested"
GOODWILL_DECLINED = "goodwill.declined"


@dataclass(frozen=True)
class DomainEvent:
    type: str
    ticket: Any = None
    message: Any = None
    customer: Any = None
    actor: Any = None
    # field name -> (before, after), e.g. {"status": ("pending", "open")}
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    occurred_at: datetime = field(default_factory=timezone.now)


Handler = Callable[[DomainEvent], object]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


ManyHandler = Callable[[list[DomainEvent]], object]
# A plain handler's batch form: what publish_many calls instead of the handler once per event.
_batch_forms: dict[Handler, ManyHandler] = {}


def subscribe(event_type: str, handler: Handler, *, many: ManyHandler | None = None) -> None:
    """Register `handler` for `event_type` ("*" for every event). Idempotent. `many`, when
    given, is the handler's batch form: the same effect for a list of events (publish_many)."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)
    if many is not None:
        _batch_forms[handler] = many


def unsubscribe(event_type: str, handler: Handler) -> None:
    if handler in _subscribers[event_type]:
        _subscribers[event_type].remove(handler)
    if not any(handler in handlers for handlers in _subscribers.values()):
        _batch_forms.pop(handler, None)


_many_subscribers: dict[str, list[ManyHandler]] = defaultdict(list)
_collecting: ContextVar[dict[ManyHandler, list[DomainEvent]] | None] = ContextVar(
    "collecting", default=None
)
# Lists that `recorded()` blocks collect published events in (innermost last).
_recorders: ContextVar[tuple[list[DomainEvent], ...]] = ContextVar("recorders", default=())


def subscribe_many(event_type: str, handler: ManyHandler) -> None:
    """Register a handler that takes a list of events: called with one event at a time, or,
    inside `batched()`, once with all the block's events (a sweep publishing a thousand
    events then costs the subscriber one bulk INSERT, not a thousand). Same transaction."""
    if handler not in _many_subscribers[event_type]:
        _many_subscribers[event_type].append(handler)


def unsubscribe_many(event_type: str, handler: ManyHandler) -> None:
    if handler in _many_subscribers[event_type]:
        _many_subscribers[event_type].remove(handler)


@contextmanager
def batched() -> Iterator[None]:
    """Hold events for `subscribe_many` handlers until the block ends (then hand them over,
    still inside the caller's transaction). Plain handlers still run at once."""
    if _collecting.get() is not None:  # already batching: the outer block delivers
        yield
        return
    held: dict[ManyHandler, list[DomainEvent]] = {}
    token = _collecting.set(held)
    try:
        yield
    finally:
        _collecting.reset(token)
    for handler, events in held.items():
        handler(events)


@contextmanager
def recorded() -> Iterator[list[DomainEvent]]:
    """The events published inside the block, in order (nested blocks each see theirs). Used
    to know whether subscribers changed an object the caller holds (tickets.services.create:
    a trigger's ticket.updated). Inside `batched()` the `subscribe_many` handlers run later:
    `held_back()` tells the caller so."""
    seen: list[DomainEvent] = []
    token = _recorders.set((*_recorders.get(), seen))
    try:
        yield seen
    finally:
        _recorders.reset(token)


def held_back() -> bool:
    """True inside `batched()`: some handlers of what was published have not run yet."""
    return _collecting.get() is not None


def _record(events: list[DomainEvent]) -> None:
    for seen in _recorders.get():
        seen.extend(events)


def subscribers(event_type: str) -> list[Handler | ManyHandler]:
    """Every handler an event of this type reaches, in the order `publish` calls them."""
    return [
        *_subscribers.get(event_type, []),
        *_subscribers.get("*", []),
        *_many_subscribers.get(event_type, []),
    ]


def publish(event_type: str, **fields: Any) -> DomainEvent:
    event = DomainEvent(type=event_type, **fields)
    _record([event])
    for handler in [*_subscribers[event_type], *_subscribers["*"]]:
        handler(event)
    held = _collecting.get()
    for handler in _many_subscribers[event_type]:
        if held is None:
            handler([event])
        else:
            held.setdefault(handler, []).append(event)
    return event


def publish_many(event_type: str, items: list[Mapping[str, Any]]) -> list[DomainEvent]:
    """Publish one event per item (the fields of each), as a set-based change does: every
    subscriber sees every event, in the order `publish` calls subscribers; a plain handler
    with a batch form and each `subscribe_many` handler get the whole list in one call (held
    until the end of an enclosing `batched()` block, like `publish`'s)."""
    occurred_at = timezone.now()
    batch = [DomainEvent(type=event_type, **{"occurred_at": occurred_at, **item}) for item in items]
    if not batch:
        return batch
    _record(batch)
    for handler in [*_subscribers[event_type], *_subscribers["*"]]:
        many = _batch_forms.get(handler)
        if many is not None:
            many(batch)
            continue
        for event in batch:
            handler(event)
    held = _collecting.get()
    for handler in _many_subscribers[event_type]:
        if held is None:
            handler(list(batch))
        else:
            held.setdefault(handler, []).extend(batch)
    return batch
