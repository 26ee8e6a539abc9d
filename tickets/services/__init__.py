"""Ticket operations: the only code that changes tickets, messages and their audit trail.

Each public function runs in one transaction, records an audit event for every change it
makes (who, when, before/after), bumps `Ticket.version` so collisions can be detected, and
publishes domain events (core.events: ticket.created, message.created, ticket.updated)
that other apps (SLA clocks, channels, webhooks, follow-ups) act on in the same transaction.

One module per idea: `create` (opening tickets), `update` (fields, status, teams, claiming),
`messages` (replies, notes, customer messages, automatic answers), `bulk` (one action on
many tickets, each through ticket_update), `batch` (set-based changes of many tickets, for
sweeps), `audit` (the audit trail for other apps' changes and the SLA fields), `merge`
(merging duplicates), `problems` (incidents linked to a problem, the update when it is
solved), `agent_open` (an agent opens a ticket from the desk), `common` (what they
share). Callers import from here: `from tickets import services`.
"""

from .agent_open import ticket_open_by_agent
from .audit import (
    AuditEntry,
    audit_record,
    audit_record_alike,
    audit_record_many,
    ticket_sla_fields_set,
    tickets_next_due_set,
)
from .batch import tickets_status_set
from .bulk import BulkResult, tickets_bulk_update
from .create import ticket_create, ticket_open
from .delivery import message_delivery_retry, thread_key_remember, thread_keys_remember
from .merge import ticket_merge
from .messages import customer_message_add, system_message_add, ticket_message_post, ticket_reply
from .problems import (
    problem_incident_unlink,
    problem_incidents_link,
    problem_incidents_notify,
    problem_settings_set,
)
from .update import team_save, ticket_claim_next, ticket_edit, ticket_update

__all__ = [
    "AuditEntry",
    "BulkResult",
    "audit_record",
    "audit_record_alike",
    "audit_record_many",
    "customer_message_add",
    "message_delivery_retry",
    "problem_incident_unlink",
    "problem_incidents_link",
    "problem_incidents_notify",
    "problem_settings_set",
    "system_message_add",
    "team_save",
    "thread_key_remember",
    "thread_keys_remember",
    "ticket_claim_next",
    "ticket_create",
    "ticket_edit",
    "ticket_merge",
    "ticket_message_post",
    "ticket_open",
    "ticket_open_by_agent",
    "ticket_reply",
    "ticket_sla_fields_set",
    "ticket_update",
    "tickets_bulk_update",
    "tickets_next_due_set",
    "tickets_status_set",
]
