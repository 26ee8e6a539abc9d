"""Macro serializers: the macro as read, what may be written, and applying one."""

from __future__ import annotations

from rest_framework import serializers

from api.fields import BriefUserSerializer, LabelChoiceField
from tickets.api.serializers import MessageSerializer, TicketSerializer
from tickets.models import Priority

from ..models import MACRO_STATUS_CHOICES, Macro


class MacroSerializer(serializers.ModelSerializer):
    owner = BriefUserSerializer(read_only=True)
    set_status = serializers.ChoiceField(
        choices=MACRO_STATUS_CHOICES, allow_blank=True, read_only=True
    )
    set_priority = LabelChoiceField(Priority, allow_null=True, read_only=True)
    set_team_id = serializers.IntegerField(allow_null=True, read_only=True)
    add_tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Macro
        fields = [
            "id",
            "name",
            "body",
            "is_shared",
            "owner",
            "set_status",
            "set_priority",
            "set_team_id",
            "add_tags",
            "usage_count",
            "last_used_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MacroWriteSerializer(serializers.Serializer):
    """Placeholders in `body`: {{ customer.name }}, {{ customer.first_name }},
    {{ organization.name }}, {{ ticket.number }}, {{ ticket.subject }}, {{ team.name }},
    {{ agent.name }}, {{ agent.first_name }}; each may carry |default:"text"."""

    name = serializers.CharField(max_length=100)
    body = serializers.CharField(max_length=20_000)
    is_shared = serializers.BooleanField(default=False)
    set_status = serializers.ChoiceField(choices=MACRO_STATUS_CHOICES, allow_blank=True, default="")
    set_priority = LabelChoiceField(Priority, allow_null=True, default=None)
    set_team_id = serializers.IntegerField(allow_null=True, default=None, min_value=1)
    add_tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=20, default=list
    )


class MacroApplySerializer(serializers.Serializer):
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100_000,
        help_text="The reply as the agent edited it; left out or blank: the macro rendered.",
    )
    public = serializers.BooleanField(default=True, help_text="False: an internal note.")
    status = serializers.ChoiceField(
        choices=MACRO_STATUS_CHOICES,
        required=False,
        help_text="Overrides the macro's status.",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The ticket version you saw (409 if stale)."
    )


class MacroPreviewSerializer(serializers.Serializer):
    macro = serializers.IntegerField()
    body = serializers.CharField(help_text="The reply, placeholders filled for this ticket.")
    changes = serializers.DictField(help_text="What applying it sets besides the reply.")


class MacroAppliedSerializer(serializers.Serializer):
    ticket = TicketSerializer()
    message = MessageSerializer()
