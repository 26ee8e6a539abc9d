"""Transports: how a row leaves. One function per name, registered here (email and webhook by
this app, others by the app that owns them, e.g. a channel adapter's provider API), like
healthchecks' TRANSPORTS.

A transport takes the row and returns what the provider answered (`Sent`); it raises
core.retry.PermanentError when trying again cannot help, anything else when it might (the
exception's `status`, when it has one, is kept on the row). Listeners hear each final outcome
(sent, failed) in the transaction that records it: upper apps register theirs from their
handlers' connect(), so the outbox never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import OutboxMessage


@dataclass(frozen=True)
class Sent:
    provider_id: str = ""
    status: int | None = None


Transport = Callable[["OutboxMessage"], Sent]

TRANSPORTS: dict[str, Transport] = {}
# Called with the row once it is sent or finally failed (not for a transient failure).
OUTCOME_LISTENERS: list[Callable[[OutboxMessage], None]] = []
# Called with the row whenever what a person reads of it changed: sent, failed, a transient
# failure (queued again with its error), delivered or read by the provider, retried. Inside
# the transaction of the change: a listener that tells someone waits for the commit.
CHANGE_LISTENERS: list[Callable[[OutboxMessage], None]] = []


def register(name: str, transport: Transport) -> Transport:
    TRANSPORTS[name] = transport
    return transport


def transport(name: str) -> Transport:
    """The transport of `name`; KeyError for a name nobody registered."""
    return TRANSPORTS[name]


def listen(listener: Callable[[OutboxMessage], None]) -> None:
    """Idempotent: a listener registered twice is called once."""
    if listener not in OUTCOME_LISTENERS:
        OUTCOME_LISTENERS.append(listener)


def listen_changes(listener: Callable[[OutboxMessage], None]) -> None:
    """Idempotent, as listen(); see CHANGE_LISTENERS."""
    if listener not in CHANGE_LISTENERS:
        CHANGE_LISTENERS.append(listener)


def changed(row: OutboxMessage) -> None:
    for listener in CHANGE_LISTENERS:
        listener(row)
