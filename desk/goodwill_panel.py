"""The ticket page's goodwill panel: its form and what it shows (desk/goodwill.py has the
views; this module imports no view, so desk/views.py can build the panel's context)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from goodwill import selectors
from goodwill.models import GestureKind

from .form_renderer import RENDERER


class GestureForm(forms.Form):
    default_renderer = RENDERER

    kind = forms.ChoiceField(choices=GestureKind.choices, label=gettext_lazy("Gesture"))
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        min_length=3,
        max_length=3,
        initial="EUR",
        widget=forms.TextInput(attrs={"size": 4, "autocapitalize": "characters"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def goodwill_context(ticket, form: GestureForm | None = None) -> dict:
    """What the ticket page's goodwill panel shows (one query)."""
    return {
        "gestures": list(selectors.ticket_gestures(ticket)),
        "goodwill_form": form or GestureForm(),
    }
