"""Model choice fields for the desk's <select>s whose options come from one plain query.

Django's ModelChoiceIterator reads its queryset with `.iterator()`, which on PostgreSQL is a
server-side cursor: DECLARE, FETCH and CLOSE, three round trips for a handful of teams or
agents, on every page that shows the select (the queue has four, the ticket page two). A
form's field holds its own copy of the queryset (Django clones it per form instance), so the
options are read once per form and never outlive the request. A form showing two selects
of one table (the queue's team filter and bulk bar) reads it once and hands each field its
options (`options`); a submitted value is still checked against the field's queryset."""

from __future__ import annotations

from django import forms
from django.db.models import Model
from django.forms.models import ModelChoiceIterator


class ListedChoiceIterator(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        options = self.field.options
        for obj in self.queryset if options is None else options:  # one query, or none
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator
    # The options this request already read (the rows of `queryset`, in its order), or None.
    options: list[Model] | None = None
