"""Serializers for rules, routing and availability. Conditions and actions are validated by
the services (automations.conditions / automations.actions), the one place for them; the
OpenAPI schema below is generated from the same tables (FIELDS, ACTIONS)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Team

from ..actions import ACTIONS, OPTIONAL_KEYS
from ..conditions import FIELDS
from ..models import AgentAvailability, TeamRouting, TimeRule, Trigger

_OPERATORS = sorted({op for spec in FIELDS.values() for op in spec.operators})
CONDITION_SCHEMA = {
    "type": "object",
    "required": ["field", "operator", "value"],
    "additionalProperties": False,
    "properties": {
        "field": {"type": "string", "enum": list(FIELDS)},
        "operator": {
            "type": "string",
            "enum": _OPERATORS,
            "description": "; ".join(
                f"{name}: {', '.join(spec.operators)}" for name, spec in FIELDS.items()
            ),
        },
        "value": {
            "description": "One value, or a list for in / not_in / includes / excludes / "
            "contains_any. Priority by name (low, normal, high, urgent); organization, team "
            "and assignee by id; tier by name; business_hours: inside or outside.",
        },
    },
}
CONDITIONS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "description": "Every condition of `all` must hold and, if `any` is not empty, one of "
    "`any`. Text tests (`contains`) are case-insensitive and match whole words.",
    "properties": {
        "all": {"type": "array", "items": CONDITION_SCHEMA},
        "any": {"type": "array", "items": CONDITION_SCHEMA},
    },
}
ACTIONS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": list(ACTIONS)},
            "value": {
                "description": "set_team: team id; set_priority/status/type: the name; "
                "add_tags/remove_tags: list of tags; assign: agent id or 'routing'."
            },
            "body": {
                "type": "string",
                "description": "add_note / reply: the text, a Django template with "
                "{{ ticket }} and {{ customer }}.",
            },
            "agent": {"type": "integer", "description": "notify: an agent id."},
            "team": {"type": "integer", "description": "notify: a team id."},
            "url": {"type": "string", "format": "uri", "description": "webhook: where to."},
            "secret": {"type": "string", "description": "webhook: signing secret."},
            "rule": {
                "type": "integer",
                "description": "schedule_followup: a follow-up rule (its delay, action, template).",
            },
            "macro": {
                "type": "integer",
                "description": "reply_macro: a shared macro whose text is the automatic reply.",
            },
        },
        "description": "Keys per type: "
        + "; ".join(
            f"{name}: {', '.join([*spec.keys, *sorted(OPTIONAL_KEYS.get(name, ()))]) or '-'}"
            for name, spec in ACTIONS.items()
        ),
    },
}


@extend_schema_field(CONDITIONS_SCHEMA)
class ConditionsField(serializers.JSONField):
    pass


@extend_schema_field(ACTIONS_SCHEMA)
class ActionsField(serializers.JSONField):
    pass


class _RuleSerializer(serializers.ModelSerializer):
    conditions = ConditionsField(required=False)
    actions = ActionsField()
    updated_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who changed it last."
    )


_RULE_FIELDS = [
    "id",
    "name",
    "position",
    "active",
    "conditions",
    "actions",
    "created_at",
    "updated_at",
    "updated_by",
]


class TriggerSerializer(_RuleSerializer):
    class Meta:
        model = Trigger
        fields = [*_RULE_FIELDS[:2], "event", *_RULE_FIELDS[2:]]


class TimeRuleSerializer(_RuleSerializer):
    class Meta:
        model = TimeRule
        fields = [*_RULE_FIELDS[:2], "timer", "after", "unit", "business_time", *_RULE_FIELDS[2:]]


class DryRunInputSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    event = serializers.ChoiceField(
        choices=[c for c, _ in Trigger._meta.get_field("event").choices],
        required=False,
        help_text="Only this event's triggers (default: every event).",
    )


class DryRunRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Trigger
        fields = ["id", "name", "event", "position"]


class DryRunSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    rules = DryRunRuleSerializer(many=True)


class TeamRoutingSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    updated_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who changed it last."
    )

    class Meta:
        model = TeamRouting
        fields = [
            "id",
            "team",
            "active",
            "method",
            "match_skills",
            "on_away",
            "updated_at",
            "updated_by",
        ]


class AvailabilitySerializer(serializers.ModelSerializer):
    skills = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=100
    )
    capacity = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    chat_capacity = serializers.IntegerField(min_value=0, max_value=1_000, required=False)
    available = serializers.BooleanField(required=False)
    changed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null until the agent first set it."
    )

    class Meta:
        model = AgentAvailability
        fields = ["agent", "available", "capacity", "chat_capacity", "skills", "changed_at"]
        read_only_fields = ["agent", "changed_at"]
