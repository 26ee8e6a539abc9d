"""Managers' SLA pages in the admin: calendars with their intervals and holidays, versioned
policies with targets and escalation steps inline, tiers, and the clocks (read-only).

Saves go through slas.config like the API's: a calendar is validated by `calendar_check`, and
editing a policy writes a new version (`policy_revise`) instead of changing the one running
clocks measure against."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import construct_change_message
from django.core.exceptions import ValidationError

from core.admin_forms import ServiceAdmin, ServiceForm
from tickets.models import ChannelKind

from . import config
from .models import (
    BusinessCalendar,
    BusinessInterval,
    CalendarHoliday,
    EscalationStep,
    SlaClock,
    SlaPolicy,
    SlaTarget,
    SlaTier,
)


def current_policy_choices(db_field, kwargs: dict) -> dict:
    """For any admin foreign key to SlaPolicy: offer only current versions (the API's rule,
    `config.current_policies`), so a forged POST with an old version is a form error too.
    Call from `formfield_for_foreignkey` before the super() call."""
    if db_field.related_model is SlaPolicy:
        kwargs["queryset"] = config.current_policies()
    return kwargs


def _rows(formset) -> list[dict]:
    """The inline rows that stay: filled in and not marked for deletion."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{name}: {m}" for name, errors in exc.message_dict.items() for m in errors]
    return exc.messages


class SavedByServiceAdmin(admin.ModelAdmin):
    """The object and its inlines are written by a slas.config service in save_related; the
    inline formsets are never saved themselves, so the log names the form's fields only."""

    def save_model(self, request, obj, form, change):
        pass  # see save_related

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)


# --- calendars ---------------------------------------------------------------------------------


def _interval_inputs(rows: list[dict]) -> list[config.IntervalInput]:
    return [config.IntervalInput(r["weekday"], r["start_time"], r["end_time"]) for r in rows]


class IntervalFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        calendar = self.instance  # already carries the edited calendar fields
        try:
            config.calendar_check(
                time_zone=calendar.time_zone,
                always_open=calendar.always_open,
                holiday_country=calendar.holiday_country.upper(),
                holiday_subdivision=calendar.holiday_subdivision,
                intervals=_interval_inputs(_rows(self)),
            )
        except ValidationError as exc:
            raise forms.ValidationError(_messages(exc)) from exc


class IntervalInline(admin.TabularInline):
    model = BusinessInterval
    formset = IntervalFormSet
    extra = 1


class HolidayInline(admin.TabularInline):
    model = CalendarHoliday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(SavedByServiceAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country", "updated_at"]
    search_fields = ["name"]
    inlines = [IntervalInline, HolidayInline]

    def save_related(self, request, form, formsets, change):
        by_model = {formset.model: formset for formset in formsets}
        config.calendar_save(
            calendar=form.instance,
            name=form.instance.name,
            time_zone=form.instance.time_zone,
            always_open=form.instance.always_open,
            holiday_country=form.instance.holiday_country,
            holiday_subdivision=form.instance.holiday_subdivision,
            intervals=_interval_inputs(_rows(by_model[BusinessInterval])),
            holidays=[
                config.HolidayInput(r["date"], r.get("name", ""))
                for r in _rows(by_model[CalendarHoliday])
            ],
        )


# --- policies ----------------------------------------------------------------------------------


def _target_inputs(rows: list[dict]) -> list[config.TargetInput]:
    return [
        config.TargetInput(r["priority"], r["metric"], r["minutes"], r["business_hours"])
        for r in rows
    ]


def _escalation_inputs(rows: list[dict]) -> list[config.EscalationInput]:
    return [
        config.EscalationInput(
            r["level"], r["after_minutes"], r["raise_priority"], r["move_to_escalation_team"]
        )
        for r in rows
    ]


class TargetFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        targets = _target_inputs(_rows(self))
        if not targets:
            raise forms.ValidationError("A policy needs at least one target.")
        try:
            config._check_targets(targets, [])
        except ValidationError as exc:
            raise forms.ValidationError(_messages(exc)) from exc


class EscalationFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        try:
            config._check_targets([], _escalation_inputs(_rows(self)))
        except ValidationError as exc:
            raise forms.ValidationError(_messages(exc)) from exc


class TargetInline(admin.TabularInline):
    model = SlaTarget
    formset = TargetFormSet
    extra = 1


class EscalationInline(admin.TabularInline):
    model = EscalationStep
    formset = EscalationFormSet
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SavedByServiceAdmin):
    list_display = ["name", "version", "is_current", "is_default", "calendar", "warn_at_percent"]
    list_filter = ["is_current", "is_default"]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    readonly_fields = ["lineage", "version", "is_current", "created_by", "created_at"]
    inlines = [TargetInline, EscalationInline]

    def has_change_permission(self, request, obj=None):
        # Old versions are history: clocks still measure against them. Read-only.
        if obj is not None and not obj.is_current:
            return False
        return super().has_change_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        by_model = {formset.model: formset for formset in formsets}
        fields = {name: form.cleaned_data[name] for name in config.POLICY_FIELDS}
        rules = {
            "targets": _target_inputs(_rows(by_model[SlaTarget])),
            "escalations": _escalation_inputs(_rows(by_model[EscalationStep])),
        }
        if change:
            saved = config.policy_revise(
                policy=form.instance, actor=request.user, **rules, **fields
            )
        else:
            saved = config.policy_create(actor=request.user, **rules, **fields)
        # The admin logs and redirects with this object: make it the saved version.
        form.instance.pk, form.instance.version = saved.pk, saved.version
        form.instance.lineage = saved.lineage


# --- tiers and clocks --------------------------------------------------------------------------


TIER_FIELDS = ["name", "rank", "description", "channels", "self_service", "self_service_url"]
TIER_FIELDS += ["policy"]


class TierForm(ServiceForm):
    """Saved by `config.tier_save` (the API's): channels are checkboxes over the channel
    kinds, checked by the API's rule; the policy is a current version."""

    channels = forms.MultipleChoiceField(
        choices=ChannelKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Channels the tier serves; none ticked: not restricted.",
    )
    self_service_url = forms.URLField(max_length=200, required=False, assume_scheme="https")

    class Meta:
        model = SlaTier
        fields = TIER_FIELDS

    def clean_channels(self) -> list[str]:
        try:  # the API's rule (TierSerializer.validate_channels calls it too)
            return config.tier_channels_check(self.cleaned_data["channels"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["channels"]) from exc

    def save_through_service(self) -> SlaTier:
        return config.tier_save(
            tier=self.original, **{name: self.cleaned_data[name] for name in TIER_FIELDS}
        )


@admin.register(SlaTier)
class SlaTierAdmin(ServiceAdmin):
    form = TierForm
    list_display = ["name", "rank", "policy", "channels", "self_service"]
    list_select_related = ["policy"]
    search_fields = ["name"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = current_policy_choices(db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = ["ticket", "metric", "policy", "due_at", "paused_since", "fulfilled_at"]
    list_display += ["breached_at", "escalation_level"]
    list_filter = ["metric"]
    list_select_related = ["ticket", "policy"]
    raw_id_fields = ["ticket", "policy"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # clocks move with their tickets (slas.services), never by hand
