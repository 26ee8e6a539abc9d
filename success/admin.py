"""Follow-ups in the admin: rules are checked by the API's rules (`template_check`,
`rule_check`); scheduled follow-ups, deliveries, surveys and health are rows the services
write (schedule, send, answer, count) and are read-only here; a failed follow-up goes back
through `followup_retry`."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin_forms import ReadOnlyAdmin, errors_by_field
from tickets.models import ChannelKind

from . import services
from .models import (
    CustomerHealth,
    Delivery,
    FollowUp,
    FollowUpRule,
    FollowUpState,
    PoorExperience,
    Survey,
)


class FollowUpRuleForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=ChannelKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="For ticket triggers: the channels of the solved ticket (none: any).",
    )
    delay_minutes = forms.IntegerField(min_value=0, max_value=525_600, initial=0)  # the API's
    quiet_days = forms.IntegerField(min_value=0, max_value=365, initial=0)

    class Meta:
        model = FollowUpRule
        fields = [
            "name",
            "trigger",
            "action",
            "active",
            "tiers",
            "channels",
            "products",
            "delay_minutes",
            "delay_in_business_time",
            "subject",
            "body",
            "team",
            "outreach_channel",
            "quiet_if_open_ticket",
            "quiet_days",
        ]

    def _template(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        try:
            services.template_check(value)
        except ValidationError as exc:
            raise forms.ValidationError(f"Not a valid template: {exc.messages[0]}") from exc
        return value

    def clean_subject(self) -> str:
        return self._template("subject")

    def clean_body(self) -> str:
        return self._template("body")

    def clean_products(self) -> list[str]:
        products = self.cleaned_data.get("products") or []
        if not isinstance(products, list) or not all(
            isinstance(p, str) and 0 < len(p) <= 120 for p in products
        ):
            raise forms.ValidationError("A list of product names (up to 120 characters each).")
        return products

    def clean(self):
        data = super().clean()
        if self.errors or "trigger" not in data or "action" not in data:
            return data
        try:
            services.rule_check(
                trigger=data["trigger"],
                action=data["action"],
                body=data.get("body", ""),
                channels=data.get("channels") or (),
                products=data.get("products") or (),
            )
        except ValidationError as exc:
            for field, messages in errors_by_field(exc).items():
                self.add_error(field if field in self.fields else None, messages)
        return data


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    form = FollowUpRuleForm
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
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["id", "rule", "customer", "due_at", "state", "attempts", "outcome"]
    list_filter = ["state", "rule"]
    actions = ["retry"]

    @admin.action(description="Retry the selected failed follow-ups")
    def retry(self, request, queryset):
        for followup in queryset.filter(state=FollowUpState.FAILED):
            services.followup_retry(followup)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Deliveries come in through `POST /api/v1/deliveries/` (which schedules follow-ups)."""

    list_display = ["external_ref", "customer", "source", "delivered_at"]
    search_fields = ["external_ref"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    """Surveys are scheduled by a solved ticket and answered through their signed link."""

    list_display = ["ticket", "customer", "sent_at", "answered_at", "csat", "ces", "nps"]


@admin.register(CustomerHealth)
class CustomerHealthAdmin(ReadOnlyAdmin):
    list_display = ["customer", "score", "at_risk", "at_risk_since"]
    list_filter = ["at_risk"]


@admin.register(PoorExperience)
class PoorExperienceAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "occurred_at"]
