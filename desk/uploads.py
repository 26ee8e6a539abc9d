"""File fields of desk forms: several files in one input (Django's documented pattern), handed
to the ticket services as AttachmentInput (their limits decide: tickets/attachments.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.attachments import AttachmentInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def attachment_inputs(files) -> list[AttachmentInput]:
    return [AttachmentInput(f.name, f, f.content_type or "") for f in files or []]
