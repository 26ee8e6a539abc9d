"""Macros in the admin, saved and deleted through macros.services (placeholders checked,
sharing for managers), like the API."""

from __future__ import annotations

from django.contrib import admin

from core.admin_forms import ServiceAdmin, ServiceForm

from . import services
from .models import Macro

FIELDS = ("name", "body", "is_shared", "set_status", "set_priority", "set_team", "add_tags")


class MacroForm(ServiceForm):
    class Meta:
        model = Macro
        fields = FIELDS

    def save_through_service(self) -> Macro:
        data = self.cleaned_data
        return services.macro_save(
            macro=self.original,
            actor=self.actor,
            name=data["name"],
            body=data["body"],
            is_shared=data["is_shared"],
            set_status=data["set_status"],
            set_priority=data["set_priority"],
            set_team_id=data["set_team"].pk if data["set_team"] else None,
            add_tags=data["add_tags"] or [],
        )


@admin.register(Macro)
class MacroAdmin(ServiceAdmin):
    form = MacroForm
    list_display = ("name", "is_shared", "owner", "usage_count", "last_used_at")
    list_filter = ("is_shared",)
    search_fields = ("name", "body")
    readonly_fields = ("owner", "usage_count", "last_used_at")

    def delete_model(self, request, obj):
        services.macro_delete(macro=obj, actor=request.user)
