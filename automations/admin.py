"""Automations in the admin (managers): rules are validated by the same functions as the API
(conditions_validate, actions_validate) and saved through the services, which record who
changed them; due rows are read-only (the ticket events and the sweep write them)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin_forms import ReadOnlyAdmin, errors_by_field

from . import services
from .models import AgentAvailability, TeamRouting, TimeRule, TimeRuleDue, Trigger


class _RuleForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        from .actions import actions_validate
        from .conditions import conditions_validate

        for name, check in (("conditions", conditions_validate), ("actions", actions_validate)):
            if name in cleaned:
                try:
                    cleaned[name] = check(cleaned[name])
                except ValidationError as exc:
                    for field, messages in errors_by_field(exc).items():
                        self.add_error(field if field in self.fields else None, messages)
        return cleaned


class TriggerForm(_RuleForm):
    class Meta:
        model = Trigger
        fields = ["name", "event", "position", "active", "conditions", "actions"]


class TimeRuleForm(_RuleForm):
    class Meta:
        model = TimeRule
        fields = [
            "name",
            "timer",
            "after",
            "unit",
            "business_time",
            "position",
            "active",
            "conditions",
            "actions",
        ]


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    form = TriggerForm
    list_display = ["name", "event", "position", "active", "updated_at", "updated_by"]
    list_filter = ["event", "active"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        services.trigger_save(
            trigger=obj,
            actor=request.user,
            **{f: form.cleaned_data[f] for f in self.form.Meta.fields},
        )


@admin.register(TimeRule)
class TimeRuleAdmin(admin.ModelAdmin):
    form = TimeRuleForm
    list_display = ["name", "timer", "after", "unit", "business_time", "active", "updated_by"]
    list_filter = ["timer", "active"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        services.time_rule_save(
            rule=obj, actor=request.user, **{f: form.cleaned_data[f] for f in self.form.Meta.fields}
        )


@admin.register(TimeRuleDue)
class TimeRuleDueAdmin(ReadOnlyAdmin):
    list_display = ["rule", "ticket", "due_at", "applied_at", "outcome"]
    list_filter = ["rule"]
    raw_id_fields = ["ticket"]


@admin.register(TeamRouting)
class TeamRoutingAdmin(admin.ModelAdmin):
    list_display = ["team", "active", "method", "match_skills", "on_away", "updated_by"]
    readonly_fields = ["last_assigned", "updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AgentAvailability)
class AgentAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["agent", "available", "capacity", "chat_capacity", "changed_at"]
    list_filter = ["available"]
