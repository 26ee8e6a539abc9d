from django.contrib import admin

from .models import Attachment, Message, Tag, Team, Ticket, TicketEvent


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "created_at"]
    filter_horizontal = ["members"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ["direction", "is_public", "channel", "author_customer", "author_user", "body_text"]
    readonly_fields = fields
    can_delete = False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ["created_at", "kind", "actor_user", "actor_customer", "before", "after"]
    readonly_fields = fields
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["requester", "organization", "assignee", "source_integration"]
    readonly_fields = [
        "created_at",
        "updated_at",
        "first_replied_at",
        "solved_at",
        "closed_at",
        "next_due_at",
        "version",
    ]
    filter_horizontal = ["tags"]
    inlines = [MessageInline, EventInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "direction", "is_public", "channel", "created_at"]
    list_filter = ["direction", "is_public", "channel"]
    raw_id_fields = ["ticket", "author_customer", "author_user"]
    search_fields = ["external_id"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "content_type", "size", "message", "created_at"]
    raw_id_fields = ["message"]


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "actor_user", "actor_customer", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["ticket", "actor_user", "actor_customer"]


# --- Channels ------------------------------------------------------------------------------
from django.contrib import messages as admin_messages  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402

from .channels import config as channel_config  # noqa: E402
from .channels.intake import inbound_reprocess  # noqa: E402
from .channels.models import Channel, InboundMessage, OutboundEmail  # noqa: E402


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "address", "default_team", "is_active"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["address", "imap_uid_validity", "imap_last_uid"]

    def save_model(self, request, obj, form, change):
        # The same validation as the API: settings checked per kind, mailbox unique.
        try:
            channel_config.channel_save(channel=obj, settings=obj.settings)
        except ValidationError as exc:
            self.message_user(request, f"Not saved: {exc}", admin_messages.ERROR)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
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
    readonly_fields = [f.name for f in InboundMessage._meta.fields]
    actions = ["reprocess"]

    @admin.action(description="Reprocess the selected inbound messages")
    def reprocess(self, request, queryset):
        rows = [inbound_reprocess(row) for row in queryset]
        self.message_user(request, f"Queued {len(rows)} inbound message(s) for processing.")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["id", "header_message_id", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
