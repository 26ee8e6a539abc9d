"""Ticket operations: the only code that changes tickets, messages and their audit trail.

Each public function runs in one transaction, records an audit event for every change it
makes (who, when, before/after), bumps `Ticket.version` so collisions can be detected, and
publishes domain events (core.events: ticket.created, message.created, ticket.updated)
that other apps (SLA clocks, channels, webhooks, follow-ups) act on in the same transaction.

One module per idea: `create` (opening tickets), `update` (fields, status, teams, claiming),
`messages` (replies, notes, customer messages, automatic answers), `audit` (the audit trail
for other apps' changes and the SLA fields), `common` (what they share). Callers import from
here: `from tickets import services`.
"""

from .audit import AuditEntry, audit_record, audit_record_many, ticket_sla_fields_set
from .create import ticket_create, ticket_open
from .delivery import message_delivery_retry, thread_key_remember
from .messages import customer_message_add, system_message_add, ticket_message_post, ticket_reply
from .update import team_save, ticket_claim_next, ticket_edit, ticket_update

__all__ = [
    "AuditEntry",
    "audit_record",
    "audit_record_many",
    "customer_message_add",
    "message_delivery_retry",
    "system_message_add",
    "team_save",
    "thread_key_remember",
    "ticket_claim_next",
    "ticket_create",
    "ticket_edit",
    "ticket_message_post",
    "ticket_open",
    "ticket_reply",
    "ticket_sla_fields_set",
    "ticket_update",
]
