"""The one place where apps' event handlers are connected, in one explicit order.

Each app keeps what it hears in `<app>/handlers.py` with a `connect()` (domain events through
core.events, Django signals with a dispatch_uid). ProjectConfig.ready() calls `connect()`
below once per process; no app wires anything in its own AppConfig.ready().

Within one `publish`, subscribers run in the order they were subscribed, so the order of this
list is the order handlers of the same event run in (tests/config/test_wiring.py pins it for
every event type):

0. outbox: registers its transports (email, webhook); it hears no event.
1. slas: measure first. Starting, fulfilling and pausing clocks sets `Ticket.next_due_at` (also
   on the ticket object the event carries), and an answer to a ticket outside the customer's
   plan is published as a message of its own: whatever runs later sees the measured ticket.
   knowledge subscribes to no event: its connect() registers the help-center articles
   provider of the outside-plan answer (slas.hybrid.SELF_SERVICE_HINTS).
2. success: react to the outcome (a solve schedules the survey, a reopen counts as a poor
   experience): rows only, nothing that the SLA handlers read.
3. tickets: hand an agent's public reply to its channel (an outbound email row, a chat or
   social webhook), sent after commit; after the bookkeeping above, which never depends on it.
   A solved problem's update to its incidents is sent here too (the problem's clocks are
   measured by then).
4. webhooks: tell the outside world last, so a payload is built from the final state of the
   change. (It subscribes to "*", and "*" subscribers run after an event's own subscribers in
   any case: publish guarantees what this list states.)
5. automations: managers' rules act on what happened after everyone above recorded it. Its
   handlers are all `subscribe_many` ones (they run after the event's plain and "*"
   subscribers): a rule's change is a new change, published as its own event, so webhooks
   tell "ticket.created" before the "ticket.updated" a trigger made of it, and a rule reads
   a ticket whose SLA clocks are already measured.
6. live: tell the desk's sockets (live/handlers.py), after commit; `subscribe_many` handlers
   after automations', so a socket hears of a change once the rules' own changes are made.

Batch handlers (`subscribe_many`, e.g. success' breach counter) run after every plain handler
of the event, or once at the end of an `events.batched()` block.
"""

from __future__ import annotations

from importlib import import_module

HANDLERS: tuple[str, ...] = (
    "outbox",
    "slas",
    "knowledge",
    "success",
    "tickets",
    "webhooks",
    "automations",
    "live",
)


def connect() -> None:
    """Connect every app's handlers in HANDLERS order. Idempotent: a second call (a test, a
    second ready()) subscribes nothing twice."""
    for app in HANDLERS:
        import_module(f"{app}.handlers").connect()
