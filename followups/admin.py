from django.contrib import admin

from .models import CustomerHealth, Delivery, FollowUp, FollowUpRule, PoorExperience, Survey
from .services import followup_retry


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "trigger",
        "action",
        "delay_minutes",
        "delay_in_business_time",
        "team",
        "active",
    ]
    list_filter = ["trigger", "action", "active", "tiers"]
    list_select_related = ["team"]
    search_fields = ["name", "subject"]
    filter_horizontal = ["tiers"]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["id", "rule", "customer", "due_at", "state", "attempts", "outcome"]
    list_filter = ["state", "rule"]
    raw_id_fields = ["customer", "delivery", "ticket", "result_ticket", "result_message"]
    actions = ["retry"]

    @admin.action(description="Retry the selected failed follow-ups")
    def retry(self, request, queryset):
        for followup in queryset.filter(state="failed"):
            followup_retry(followup)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["external_ref", "customer", "source", "delivered_at"]
    raw_id_fields = ["customer"]
    search_fields = ["external_ref"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["ticket", "customer", "sent_at", "answered_at", "csat", "ces", "nps"]
    raw_id_fields = ["ticket", "customer"]


@admin.register(CustomerHealth)
class CustomerHealthAdmin(admin.ModelAdmin):
    list_display = ["customer", "score", "at_risk", "at_risk_since"]
    list_filter = ["at_risk"]
    raw_id_fields = ["customer"]


admin.site.register(PoorExperience)
