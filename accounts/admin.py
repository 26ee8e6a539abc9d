from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import services
from accounts.models import ApiToken, IdempotencyRecord, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "is_superuser"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("Helpdesk", {"fields": ["role"]})]
    add_fieldsets = [*BaseUserAdmin.add_fieldsets, ("Helpdesk", {"fields": ["role"]})]
    actions = ["create_api_token"]

    @admin.action(description="Create an API token (the key is shown once)")
    def create_api_token(self, request, queryset):
        for user in queryset:
            _, key = services.api_token_create(user=user, name=f"admin ({request.user.username})")
            self.message_user(
                request,
                f"Token for {user.username}: {key} (copy it now; it is not stored).",
                level=messages.WARNING,
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    # Only the label is editable: a token never moves to another user, and revoking is the
    # `api_token_revoke` action, not a date typed in.
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # tokens are made by the user action or `manage.py create_api_token`

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "method", "path", "status_code", "created_at"]
    search_fields = ["key", "path"]
    readonly_fields = [f.name for f in IdempotencyRecord._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # written by the idempotency middleware with the response it replays
