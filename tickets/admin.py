"""Tickets in the admin go through the same services as the API (tickets.services): a change
of subject, status, priority, type, team, assignee or tags is `ticket_update` with the admin
user as actor (audit event, version bump, SLA clocks, survey, webhooks: exactly as the API).
What no service sets is read-only; messages, attachments and the audit trail are history and
read-only; tickets are not added here (a ticket starts with its first message: API, channels,
desk) nor deleted (the API does not delete tickets either)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from core.admin_forms import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, ServiceForm

from . import services
from .channels import config as channel_config
from .channels.intake import inbound_reprocess
from .channels.models import Channel, InboundMessage
from .models import Attachment, Message, Tag, Team, Ticket, TicketEvent
from .status import Status


class TeamForm(ServiceForm):
    """`team_save`, the API's: making a team the default takes the flag from the previous
    one (so the one-default constraint is the service's business, not a form error)."""

    class Meta:
        model = Team
        fields = ["name", "description", "is_default", "members"]

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), "is_default"}

    def save_through_service(self) -> Team:
        data = self.cleaned_data
        return services.team_save(
            team=self.original,
            name=data["name"],
            description=data["description"],
            is_default=data["is_default"],
            members=data["members"],
        )


@admin.register(Team)
class TeamAdmin(ServiceAdmin):
    form = TeamForm
    list_display = ["name", "is_default", "created_at"]
    filter_horizontal = ["members"]


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    """Tags are made (slugified) by the ticket services when a ticket is tagged."""

    search_fields = ["name"]


class MessageInline(ReadOnlyInline, admin.StackedInline):
    model = Message
    fields = ["direction", "is_public", "channel", "author_customer", "author_user", "body_text"]
    readonly_fields = fields


class EventInline(ReadOnlyInline, admin.TabularInline):
    model = TicketEvent
    fields = ["created_at", "kind", "actor_user", "actor_customer", "before", "after"]
    readonly_fields = fields


# Fields `ticket_update` changes, by its keyword; everything else on a ticket is read-only.
EDITABLE = ["subject", "status", "priority", "type", "team", "assignee", "tags"]
RECORD = [
    "channel",
    "kind",
    "requester",
    "organization",
    "external_ref",
    "source_integration",
    "outside_plan",
    "created_at",
    "updated_at",
    "first_replied_at",
    "solved_at",
    "closed_at",
    "next_due_at",
    "version",
]


class TicketAdminForm(ServiceForm):
    """`ticket_update` with the changed fields only (so a team change without a new assignee
    unassigns one outside the team, as in the API), and the version the form was opened at:
    an invalid status move, an assignee outside the team, a closed ticket or a colleague's
    change since the form was opened is a form error and nothing is written."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Ticket
        fields = EDITABLE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = self.instance.version

    def save_through_service(self) -> Ticket | None:
        changes = self.changed(*EDITABLE)
        if not changes:
            return None
        if "tags" in changes:
            changes["tags"] = [tag.name for tag in changes["tags"]]
        return services.ticket_update(
            ticket=self.original,
            actor=self.actor,
            expected_version=self.cleaned_data.get("expected_version"),
            **changes,
        )


@admin.register(Ticket)
class TicketAdmin(ServiceAdmin):
    form = TicketAdminForm
    list_display = [
        "id",
        "subject",
        "status",
        "priority",
        "channel",
        "team",
        "assignee",
        "created_at",
        "next_due_at",
    ]
    list_filter = ["status", "priority", "channel", "kind", "team"]
    list_select_related = ["team", "assignee"]
    search_fields = ["subject", "external_ref"]
    raw_id_fields = ["assignee"]
    fieldsets = [
        (None, {"fields": [*EDITABLE, "expected_version"]}),
        ("Record (set by the services)", {"fields": RECORD}),
    ]
    readonly_fields = RECORD
    filter_horizontal = ["tags"]
    inlines = [MessageInline, EventInline]

    def has_add_permission(self, request) -> bool:
        return False  # a ticket starts with its first message: API, channels or the desk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the API does not delete tickets; their history stays

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status == Status.CLOSED:
            return False  # closed is final: the page is view-only
        return super().has_change_permission(request, obj)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "direction", "is_public", "channel", "created_at"]
    list_filter = ["direction", "is_public", "channel"]
    search_fields = ["external_id"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "content_type", "size", "message", "created_at"]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "actor_user", "actor_customer", "created_at"]
    list_filter = ["kind"]


# --- Channels ------------------------------------------------------------------------------


class ChannelAdminForm(ServiceForm):
    """`channel_save`, the API's: settings checked per kind, the mailbox unique, secrets left
    blank keep their stored value; its errors are form errors."""

    class Meta:
        model = Channel
        fields = ["kind", "name", "settings", "default_team", "default_priority", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # secrets shown masked, as the API shows them; kept when sent back
            self.initial["settings"] = channel_config.public_settings(self.instance.settings)

    def save_through_service(self) -> Channel:
        data = self.cleaned_data
        return channel_config.channel_save(
            channel=self.original,
            kind=data.get("kind", self.original.kind),
            name=data["name"],
            settings=data.get("settings") or {},
            default_team=data.get("default_team"),
            default_priority=data["default_priority"],
            is_active=data["is_active"],
        )


@admin.register(Channel)
class ChannelAdmin(ServiceAdmin):
    form = ChannelAdminForm
    list_display = ["name", "kind", "address", "default_team", "is_active"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["address", "imap_uid_validity", "imap_last_uid"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["kind", *self.readonly_fields]  # a channel's kind cannot change
        return self.readonly_fields


class RawRowAdmin(admin.ModelAdmin):
    """Rows the channels write (raw inbound payloads, outbound emails): every field read-only,
    never added or deleted here: what came in and what left stays on record."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(RawRowAdmin):
    list_display = [
        "id",
        "channel",
        "kind",
        "door",
        "state",
        "classification",
        "attempts",
        "received_at",
        "ticket",
    ]
    list_filter = ["state", "classification", "kind", "door", "channel"]
    search_fields = ["dedupe_key", "error"]
    actions = ["reprocess"]

    @admin.action(description="Reprocess the selected inbound messages")
    def reprocess(self, request, queryset):
        rows = [inbound_reprocess(row) for row in queryset]
        self.message_user(request, f"Queued {len(rows)} inbound message(s) for processing.")
