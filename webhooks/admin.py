from django.contrib import admin

from .models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "url", "state", "attempts", "last_status", "created_at"]
    list_filter = ["state", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields if f.name != "secret"]
    exclude = ["secret"]

    def has_add_permission(self, request) -> bool:
        return False  # rows are written by the events they announce (webhooks.subscriptions)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # what left (or is due to leave) stays on record
