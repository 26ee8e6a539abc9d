"""api.bound_once: input serializers share their bound fields, never their data or errors."""

from __future__ import annotations

from rest_framework import serializers

from api.bound_once import BoundOnceSerializer


class Inner(BoundOnceSerializer):
    email = serializers.EmailField()


class Outer(BoundOnceSerializer):
    name = serializers.CharField(max_length=5)
    tags = serializers.ListField(child=serializers.CharField(), default=list)
    inner = Inner()

    def validate_name(self, value: str) -> str:
        return value.upper()


def test_fields_are_bound_once_and_each_instance_keeps_its_own_result():
    bad = Outer(data={"name": "toolong", "inner": {"email": "no"}})
    good = Outer(data={"name": "anna", "tags": ["a"], "inner": {"email": "a@example.com"}})
    assert bad.fields is good.fields
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"name", "inner"}
    assert good.validated_data == {
        "name": "ANNA",
        "tags": ["a"],
        "inner": {"email": "a@example.com"},
    }
    assert good.errors == {}
    again = Outer(data={"name": "bo", "inner": {"email": "b@example.com"}})
    assert again.is_valid()
    assert again.validated_data["tags"] == []  # a default, not the last caller's list


def test_a_serializer_with_context_or_partial_binds_its_own():
    shared = Outer(data={}).fields
    assert Outer(data={}, context={"request": object()}).fields is not shared
    partial = Outer(data={"name": "x"}, partial=True)
    assert partial.fields is not shared
    assert partial.is_valid(), partial.errors
    assert partial.validated_data == {"name": "X"}
