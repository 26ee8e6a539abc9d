"""SLA configuration and per-ticket SLA serializers. Services validate what spans fields
(overlapping intervals, duplicate targets); these check each field."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import LabelChoiceField
from tickets.models import ChannelKind, Priority, Team

from .. import config, services
from ..config import EscalationInput, HolidayInput, IntervalInput, TargetInput
from ..models import (
    BusinessCalendar,
    BusinessInterval,
    CalendarHoliday,
    EscalationStep,
    Metric,
    SlaClock,
    SlaPolicy,
    SlaTarget,
    SlaTier,
    Weekday,
)


class IntervalSerializer(serializers.ModelSerializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0 = Monday.")
    start = serializers.TimeField(source="start_time", format="%H:%M")
    end = serializers.TimeField(
        source="end_time",
        format="%H:%M",
        help_text="Not after `start`: the interval runs overnight (00:00 is midnight).",
    )

    class Meta:
        model = BusinessInterval
        fields = ["weekday", "start", "end"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarHoliday
        fields = ["date", "name"]
        extra_kwargs = {"name": {"required": False}}


class CalendarSerializer(serializers.ModelSerializer):
    intervals = IntervalSerializer(many=True, required=False, default=list)
    holidays = HolidaySerializer(
        many=True, required=False, default=list, help_text="Custom closed days."
    )

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "time_zone",
            "always_open",
            "holiday_country",
            "holiday_subdivision",
            "intervals",
            "holidays",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    @staticmethod
    def inputs(data: dict) -> dict:
        return {
            "intervals": [
                IntervalInput(int(i["weekday"]), i["start_time"], i["end_time"])
                for i in data.get("intervals", [])
            ],
            "holidays": [
                HolidayInput(h["date"], h.get("name", "")) for h in data.get("holidays", [])
            ],
        }


class TargetSerializer(serializers.ModelSerializer):
    priority = LabelChoiceField(Priority)
    metric = serializers.ChoiceField(choices=Metric.choices)
    minutes = serializers.IntegerField(min_value=1, max_value=10 * 365 * 24 * 60)

    class Meta:
        model = SlaTarget
        fields = ["priority", "metric", "minutes", "business_hours"]
        validators = []  # uniqueness per policy is checked by the service, with the index


class EscalationSerializer(serializers.ModelSerializer):
    level = serializers.IntegerField(min_value=1, max_value=10)

    class Meta:
        model = EscalationStep
        fields = ["level", "after_minutes", "raise_priority", "move_to_escalation_team"]
        validators = []


class PolicySerializer(serializers.ModelSerializer):
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(),
        allow_null=True,
        required=False,
        help_text="Null: business time is calendar time (24/7).",
    )
    escalation_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    warn_at_percent = serializers.IntegerField(min_value=1, max_value=99, default=75)
    targets = TargetSerializer(many=True)
    escalations = EscalationSerializer(many=True, required=False, default=list)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "lineage",
            "version",
            "is_current",
            "name",
            "description",
            "calendar",
            "warn_at_percent",
            "pause_on_hold",
            "is_default",
            "escalation_team",
            "targets",
            "escalations",
            "created_at",
        ]
        read_only_fields = ["id", "lineage", "version", "is_current", "created_at"]

    def validate_targets(self, targets):
        if not targets:
            raise serializers.ValidationError("A policy needs at least one target.")
        return targets

    @staticmethod
    def inputs(data: dict) -> dict:
        out = {k: v for k, v in data.items() if k not in ("targets", "escalations")}
        if "targets" in data:
            out["targets"] = [
                TargetInput(t["priority"], t["metric"], t["minutes"], t.get("business_hours", True))
                for t in data["targets"]
            ]
        if "escalations" in data:
            out["escalations"] = [EscalationInput(**e) for e in data["escalations"]]
        return out


class TierSerializer(serializers.ModelSerializer):
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=ChannelKind.choices),
        required=False,
        default=list,
        help_text="Channels the tier serves; a ticket on another one is flagged outside_plan.",
    )
    policy = serializers.PrimaryKeyRelatedField(
        queryset=SlaPolicy.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = SlaTier
        fields = [
            "id",
            "name",
            "rank",
            "description",
            "channels",
            "self_service",
            "self_service_url",
            "policy",
        ]

    def validate_channels(self, channels):
        try:
            return config.tier_channels_check(channels)  # the admin's tier form calls it too
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["channels"]) from exc


class PolicyBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "version"]


class ClockSerializer(serializers.ModelSerializer):
    policy = PolicyBriefSerializer(read_only=True)
    state = serializers.SerializerMethodField()
    breached = serializers.SerializerMethodField()
    remaining_business_minutes = serializers.SerializerMethodField()

    class Meta:
        model = SlaClock
        fields = [
            "metric",
            "state",
            "breached",
            "policy",
            "target_minutes",
            "business_hours",
            "started_at",
            "due_at",
            "warn_at",
            "remaining_business_minutes",
            "paused_since",
            "fulfilled_at",
            "warned_at",
            "breached_at",
            "escalation_level",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=["running", "at_risk", "paused", "breached", "fulfilled"])
    )
    def get_state(self, clock: SlaClock) -> str:
        return services.clock_state(clock)

    def get_breached(self, clock: SlaClock) -> bool:
        return clock.breached_at is not None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_remaining_business_minutes(self, clock: SlaClock) -> float | None:
        """Until due (negative once overdue); null for a fulfilled clock."""
        if clock.fulfilled_at is not None:
            return None
        return round(services.remaining_minutes(clock, self.context["now"]), 1)


class TicketSlaSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    tier = serializers.CharField(allow_null=True)
    outside_plan = serializers.BooleanField()
    next_due_at = serializers.DateTimeField(allow_null=True)
    clocks = ClockSerializer(many=True)
