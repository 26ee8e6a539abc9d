from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "purpose", "transport", "recipient", "state", "attempts", "sent_at"]
    list_filter = ["state", "transport", "purpose"]
    search_fields = ["recipient", "provider_id", "source"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # rows are written by what they carry (replies, events, follow-ups)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # what left (or is due to leave) stays on record
