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
