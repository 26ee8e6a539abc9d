"""The admin saves through the services, like the API: shared machinery for admin pages.

A `ServiceForm` calls its service at the end of validation (`_post_clean`, once the fields
are valid), inside the transaction Django's admin opens for the change view. The service's
ValidationError (field errors) or ConflictError (the state forbids it) becomes a form error,
and since every service runs in its own transaction (a savepoint here), nothing is written.
`ServiceAdmin` then skips the admin's own save: the row was written by the service.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import construct_change_message
from django.core.exceptions import ValidationError
from django.db import models, router, transaction

from core.errors import ConflictError


class ServiceForm(forms.ModelForm):
    """Subclasses implement `save_through_service()`, returning the saved model (or None when
    nothing changed). `self.actor` is the admin user; `self.original` the row as it was
    loaded (the instance itself already carries the form's values)."""

    actor = None  # set per request by ServiceAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = type(self.instance)
        self.original = (
            model._default_manager.get(pk=self.instance.pk) if self.instance.pk else model()
        )

    def save_through_service(self) -> models.Model | None:
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()  # field and model validation first
        if self.errors:
            return
        try:
            saved = self.save_through_service()
        except ValidationError as exc:
            for field, messages in errors_by_field(exc).items():
                self.add_error(field if field in self.fields else None, messages)
            return
        except ConflictError as exc:
            self.add_error(None, exc.message)
            return
        if saved is not None:
            self.instance.pk = saved.pk  # the admin logs and redirects with this object

    def changed(self, *names: str) -> dict:
        """The cleaned values of those fields that the user changed."""
        return {n: self.cleaned_data[n] for n in names if n in self.changed_data}


def errors_by_field(exc: ValidationError) -> dict[str | None, list[str]]:
    """A service's errors by form field ("settings.address" -> "settings"); others: None."""
    if not hasattr(exc, "error_dict"):
        return {None: exc.messages}
    out: dict[str | None, list[str]] = {}
    for name, messages in exc.message_dict.items():
        out.setdefault(name.split(".")[0], []).extend(messages)
    return out


class ServiceAdmin(admin.ModelAdmin):
    """An admin whose form (a ServiceForm) saved the object through its service.

    The admin validates the inline formsets after the form, so a POST whose form was valid
    (the service ran) but whose formsets were not (a tampered management form) would keep
    the service's writes while showing errors: the change view rolls its transaction back
    unless the admin went on to save (save_model), so an error page never leaves a write."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user  # a new form class per request (modelform_factory)
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and not getattr(request, "_service_admin_saved", False):
                transaction.set_rollback(True)
        return response

    def save_model(self, request, obj, form, change):
        request._service_admin_saved = True  # the service ran in the form's validation

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)  # the inlines were never saved

    def save_related(self, request, form, formsets, change):
        pass  # many-to-many fields went through the service too; inlines are read-only


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and rows that only services write: shown, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline:
    """Mixin for an inline of history (messages, audit events, identities): shown only."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
