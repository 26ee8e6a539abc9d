"""Limits are saved through goodwill.services (one per role, tier and currency, an ISO 4217
code); gestures are history: read-only here (decided in the desk or the API)."""

from __future__ import annotations

from django.contrib import admin

from core.admin_forms import ReadOnlyAdmin, ServiceAdmin, ServiceForm

from . import services
from .models import Gesture, GoodwillLimit


class LimitForm(ServiceForm):
    class Meta:
        model = GoodwillLimit
        fields = ["role", "tier", "currency", "max_amount"]

    def save_through_service(self):
        data = self.cleaned_data
        return services.limit_save(
            limit=self.instance if self.instance.pk else None,
            role=data["role"],
            tier=data["tier"],
            currency=data["currency"],
            max_amount=data["max_amount"],
        )


@admin.register(GoodwillLimit)
class GoodwillLimitAdmin(ServiceAdmin):
    form = LimitForm
    list_display = ["role", "tier", "currency", "max_amount", "updated_at"]
    list_filter = ["role", "currency"]


@admin.register(Gesture)
class GestureAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "kind", "amount", "currency", "state", "requested_by"]
    list_filter = ["state", "kind", "currency"]
