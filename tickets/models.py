"""Tickets, their conversation (messages and attachments), teams and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from .channels.models import Channel, ChannelThread, InboundMessage
from .choices import ChannelKind, Priority
from .relations import ProblemLink, ProblemSettings, TicketMerge
from .status import Status


class Team(models.Model):
    """A group of agents with its own queue."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    is_default = models.BooleanField(
        default=False, help_text="Receives tickets that name no team and no channel's team."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_team"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketType(models.TextChoices):
    QUESTION = "question", "Question"
    INCIDENT = "incident", "Incident"
    PROBLEM = "problem", "Problem"
    TASK = "task", "Task"


class TicketKind(models.TextChoices):
    REACTIVE = "reactive", "Reactive (the customer asked)"
    PROACTIVE = "proactive", "Proactive (we reach out)"


class Ticket(models.Model):
    subject = models.CharField(max_length=250)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    type = models.CharField(max_length=10, choices=TicketType.choices, default=TicketType.QUESTION)
    channel = models.CharField(max_length=10, choices=ChannelKind.choices, default=ChannelKind.WEB)
    kind = models.CharField(max_length=10, choices=TicketKind.choices, default=TicketKind.REACTIVE)
    requester = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="tickets"
    )
    organization = models.ForeignKey(
        "customers.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    external_ref = models.CharField(
        max_length=200, blank=True, help_text="The integration's own reference (order, call...)."
    )
    source_integration = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_replied_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Arrived on a channel the customer's tier does not serve: accepted, flagged, answered.
    outside_plan = models.BooleanField(default=False)
    # Earliest running SLA due time; kept by slas.clocks in the same transaction.
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change, so a form based on a stale view can be told so.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            models.Index(fields=["updated_at"], name="ticket_updated_idx"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_created_idx"),
            models.Index(fields=["priority"], name="ticket_priority_idx"),
            models.Index(fields=["channel"], name="ticket_channel_idx"),
            models.Index(fields=["kind", "-created_at"], name="ticket_kind_idx"),
            models.Index(fields=["type"], name="ticket_type_idx"),
            models.Index(fields=["external_ref"], name="ticket_external_ref_idx"),
            models.Index(fields=["team", "status"], name="ticket_team_status_idx"),
            # search: an agent's newest tickets, team by team (tickets/search.py)
            models.Index(fields=["team", "-id"], name="ticket_team_newest_idx"),
            models.Index(fields=["next_due_at"], name="ticket_next_due_idx"),
            models.Index(
                fields=["source_integration", "-created_at"], name="ticket_integration_idx"
            ),
            # reports: solved per period, agents' solved tickets (issue 14 part 6)
            models.Index(
                fields=["solved_at"],
                name="ticket_solved_idx",
                condition=models.Q(solved_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound (from the customer)"
    OUTBOUND = "outbound", "Outbound (to the customer)"


class Message(models.Model):
    """One entry of the conversation: a customer message, an agent reply or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    direction = models.CharField(max_length=10, choices=Direction.choices)
    is_public = models.BooleanField(default=True, help_text="False for an internal note.")
    channel = models.CharField(max_length=10, choices=ChannelKind.choices)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="Sanitized with nh3 before it is stored.")
    external_id = models.CharField(max_length=500, blank=True)
    # Parts of an email that were not stored as files (signature, external reference, type
    # or size not accepted): [{"filename", "content_type", "size", "reason", "detail", ...}].
    withheld_parts = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_idx"),
            # reports: the agents' public replies in a window (issue 14 part 6)
            models.Index(fields=["created_at"], name="message_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(
                    models.Q(author_customer__isnull=False) & models.Q(author_user__isnull=False)
                ),
                name="message_single_author",
            ),
            models.CheckConstraint(
                condition=models.Q(is_public=True) | models.Q(direction=Direction.OUTBOUND),
                name="message_notes_are_internal_outbound",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} on #{self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.message.ticket_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content_id = models.CharField(max_length=255, blank=True, help_text="For inline images.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", "Ticket created"
    STATUS_CHANGED = "status_changed", "Status changed"
    PRIORITY_CHANGED = "priority_changed", "Priority changed"
    ASSIGNED = "assigned", "Assignee changed"
    TEAM_CHANGED = "team_changed", "Team changed"
    TAGS_CHANGED = "tags_changed", "Tags changed"
    FIELDS_CHANGED = "fields_changed", "Fields changed"
    MESSAGE_ADDED = "message_added", "Message added"
    REOPENED = "reopened", "Reopened by the customer"
    REQUESTER_MERGED = "requester_merged", "Requester merged into another customer"
    DELIVERY_RETRIED = "delivery_retried", "Delivery retried"
    # Recorded by the SLA engine (slas), through tickets.services.audit_record(_many).
    SLA_OUTSIDE_PLAN = "sla.outside_plan", "Channel outside the plan"
    SLA_REAPPLIED = "sla.reapplied", "SLA policy re-applied"
    SLA_WARNING = "sla.warning", "SLA at risk"
    SLA_BREACHED = "sla.breached", "SLA breached"
    SLA_ESCALATED = "sla.escalated", "SLA escalated"
    # Recorded by automations (which rule fired and what it did), through audit_record.
    AUTOMATION_FIRED = "automation.fired", "Automation fired"
    AUTOMATION_FAILED = "automation.failed", "Automation failed"
    AUTOMATION_LOOP_STOPPED = "automation.loop_stopped", "Automation chain stopped"
    # Merges and problems (tickets.services.merge, .problems) and macros (through audit_record).
    MERGED_INTO = "merged_into", "Merged into another ticket"
    MERGED_FROM = "merged_from", "Another ticket merged into this one"
    INCIDENT_LINKED = "incident_linked", "Linked to a problem"
    INCIDENT_UNLINKED = "incident_unlinked", "Unlinked from a problem"
    PROBLEM_UPDATE_SENT = "problem.update_sent", "Problem solved: incidents updated"
    MACRO_APPLIED = "macro.applied", "Macro applied"
    # Recorded by goodwill (gestures within limits, requests and decisions), through audit_record.
    GOODWILL_GRANTED = "goodwill.granted", "Goodwill granted"
    GOODWILL_REQUESTED = "goodwill.requested", "Goodwill requested (above the limit)"
    GOODWILL_APPROVED = "goodwill.approved", "Goodwill request approved"
    GOODWILL_DECLINED = "goodwill.declined", "Goodwill request declined"


class TicketEvent(models.Model):
    """The audit trail: who did what to a ticket, when, with the values before and after."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"


class TicketSearch(models.Model):
    """A ticket's search document, written only by PostgreSQL triggers (migration 0005):
    subject (weight A), tag names (B) and public message bodies (C) in `document`, internal
    notes in `notes` (searched for staff only), both in the `helpdesk` text-search
    configuration over folded text (tickets/search.py). No database-level foreign key: a
    trigger removes the row with its ticket, so deleting a ticket never trips over a row a
    message trigger just rewrote. Empty on SQLite, where search is a substring match."""

    ticket = models.OneToOneField(
        Ticket,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_document",
    )
    document = SearchVectorField(null=True)
    notes = SearchVectorField(null=True)
    # Who may see it, copied from the ticket by the triggers (migration 0013): an agent's
    # search filters here, in the search table, without a join to tickets or a semi-join
    # over every ticket of their teams.
    team_id = models.BigIntegerField(null=True)
    assignee_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["team_id", "-ticket"], name="ticket_search_team_idx"),
            models.Index(
                fields=["assignee_id", "-ticket"],
                name="ticket_search_assignee_idx",
                condition=models.Q(assignee_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"search document of #{self.ticket_id}"


# Every model of the tickets app: those above, and the channel models, which live in
# tickets/channels/models.py and are registered with the app through the import above
# (Django loads `<app>.models` only). ChannelKind and Priority are shared with the channels.
__all__ = [
    "Attachment",
    "Channel",
    "ChannelKind",
    "ChannelThread",
    "Direction",
    "EventKind",
    "InboundMessage",
    "Message",
    "Priority",
    "ProblemLink",
    "ProblemSettings",
    "Tag",
    "Team",
    "Ticket",
    "TicketEvent",
    "TicketKind",
    "TicketMerge",
    "TicketSearch",
    "TicketType",
]
