"""Goodwill gestures and limits as the API speaks them (amounts as decimal strings)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from slas.models import SlaTier

from ..models import Gesture, GestureKind, GoodwillLimit, LimitRole


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class GestureSerializer(serializers.ModelSerializer):
    requested_by = PersonSerializer()
    decided_by = PersonSerializer(allow_null=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    limit_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

    class Meta:
        model = Gesture
        fields = [
            "id",
            "ticket",
            "customer",
            "tier",
            "kind",
            "amount",
            "currency",
            "reason",
            "state",
            "limit_amount",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class GestureCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=GestureKind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(
        min_length=3, max_length=3, help_text="ISO 4217, e.g. EUR; no conversion happens."
    )
    reason = serializers.CharField(max_length=2000)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class LimitSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=LimitRole.choices)
    tier = serializers.PrimaryKeyRelatedField(
        queryset=SlaTier.objects.all(),
        allow_null=True,
        required=False,
        default=None,
        help_text="SLA tier id; null: any tier without a limit of its own.",
    )
    currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217")
    max_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))

    class Meta:
        model = GoodwillLimit
        fields = ["id", "role", "tier", "currency", "max_amount", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
