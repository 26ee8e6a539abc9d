"""Input serializers whose fields are built once per process, not once per request.

DRF deep-copies and binds every declared field for each serializer instance (a ticket
create's validation spent three quarters of its time there). Fields keep nothing between
validations, so for a serializer that validates input only, with no context and never
`partial`, the fields bound to its first instance serve every later one: they read only
the data handed to them, and errors and validated data stay on each instance.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict


class BoundOnceSerializer(serializers.Serializer):
    """A Serializer whose fields are bound once per class (see the module's docstring);
    one given a context or `partial` binds its own, as DRF does."""

    @property
    def fields(self) -> BindingDict:
        root = self.root  # a nested serializer's context and partial are its root's
        if root.partial or root._context or self.partial:
            return super().fields
        cls = type(self)
        bound = cls.__dict__.get("_fields_bound_once")
        if bound is None:
            bound = super().fields
            cls._fields_bound_once = bound
        return bound
