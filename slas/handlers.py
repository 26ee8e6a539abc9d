"""What the SLA engine hears from the rest of the system: ticket, message and organization
events (in the publisher's transaction, so clocks commit or roll back with the change), and
edits to what a cached policy version reads (the per-process cache is cleared at once)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from core import events

from . import models
from .services import (
    on_customer_updated,
    on_message_created,
    on_organization_updated,
    on_ticket_created,
    on_ticket_updated,
    policy_cache_clear,
)

# Everything a cached policy version reads (services._policy): other processes see an edit
# within SLA_POLICY_CACHE_SECONDS, this one at once.
_POLICY_PARTS = (
    models.SlaPolicy,
    models.SlaTarget,
    models.BusinessCalendar,
    models.BusinessInterval,
    models.CalendarHoliday,
)


def connect() -> None:
    """Idempotent: events.subscribe and the dispatch_uids ignore a second call."""
    events.subscribe(events.ORGANIZATION_UPDATED, on_organization_updated)
    events.subscribe(events.CUSTOMER_UPDATED, on_customer_updated)
    events.subscribe(events.TICKET_CREATED, on_ticket_created)
    events.subscribe(events.MESSAGE_CREATED, on_message_created)
    events.subscribe(events.TICKET_UPDATED, on_ticket_updated)
    for model in _POLICY_PARTS:
        uid = f"slas.policy_cache_clear.{model.__name__}"
        post_save.connect(policy_cache_clear, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(policy_cache_clear, sender=model, weak=False, dispatch_uid=uid)
