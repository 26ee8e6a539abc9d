from django.contrib import admin

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


@admin.register(SlaTier)
class SlaTierAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "policy", "self_service"]


class IntervalInline(admin.TabularInline):
    model = BusinessInterval
    extra = 0


class HolidayInline(admin.TabularInline):
    model = CalendarHoliday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country"]
    inlines = [IntervalInline, HolidayInline]


class TargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


class EscalationInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Read-only here: edits must create a new version (use the API, slas.config)."""

    list_display = ["name", "version", "is_current", "is_default", "calendar"]
    list_filter = ["is_current"]
    inlines = [TargetInline, EscalationInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = ["ticket", "metric", "due_at", "warned_at", "breached_at", "fulfilled_at"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket", "policy"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
