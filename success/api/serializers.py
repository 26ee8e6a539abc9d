from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.api.serializers import CustomerBriefSerializer
from outbox.models import State as OutboxState
from slas.models import SlaTier
from tickets.api.serializers import RequesterInputSerializer
from tickets.models import ChannelKind, Team

from .. import services
from ..models import Delivery, FollowUp, FollowUpRule, Survey
from ..surveys import ces_score, csat_score


class FollowUpBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "rule", "state", "due_at"]


class DeliverySerializer(serializers.ModelSerializer):
    customer = CustomerBriefSerializer(read_only=True)
    followups = FollowUpBriefSerializer(many=True, read_only=True, source="followup_set")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "customer",
            "external_ref",
            "products",
            "delivered_at",
            "created_at",
            "followups",
        ]


class DeliveryCreateSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(required=False, help_text="An existing customer.")
    customer = RequesterInputSerializer(required=False, help_text="Or the customer by identity.")
    external_ref = serializers.CharField(
        max_length=200, help_text="Your order or shipment reference; unique per integration."
    )
    products = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, default=list, max_length=100
    )
    delivered_at = serializers.DateTimeField(required=False)

    def validate_delivered_at(self, value):
        if value > timezone.now() + timezone.timedelta(minutes=5):
            raise serializers.ValidationError("A delivery cannot be in the future.")
        return value

    def validate(self, attrs):
        if ("customer_id" in attrs) == ("customer" in attrs):
            raise serializers.ValidationError(
                {"customer": ["Give either customer_id or customer, not both or neither."]}
            )
        return attrs


class FollowUpRuleSerializer(serializers.ModelSerializer):
    tiers = serializers.PrimaryKeyRelatedField(
        many=True, queryset=SlaTier.objects.all(), required=False
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=ChannelKind.choices), required=False
    )
    products = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, max_length=100
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    delay_minutes = serializers.IntegerField(min_value=0, max_value=525_600, required=False)
    quiet_days = serializers.IntegerField(min_value=0, max_value=365, required=False)

    class Meta:
        model = FollowUpRule
        fields = [
            "id",
            "name",
            "trigger",
            "action",
            "active",
            "tiers",
            "channels",
            "products",
            "delay_minutes",
            "delay_in_business_time",
            "subject",
            "body",
            "team",
            "outreach_channel",
            "quiet_if_open_ticket",
            "quiet_days",
            "created_at",
            "updated_at",
        ]

    def _check_template(self, value: str) -> str:
        try:
            services.template_check(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(f"Not a valid template: {exc.messages[0]}") from exc
        return value

    validate_subject = _check_template
    validate_body = _check_template

    def validate(self, attrs):
        merged = {**self._current(), **attrs}
        try:  # the admin's rule form calls the same check
            services.rule_check(
                trigger=merged["trigger"],
                action=merged["action"],
                body=merged.get("body", ""),
                channels=merged.get("channels") or (),
                products=merged.get("products") or (),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {
            "action": self.instance.action,
            "trigger": self.instance.trigger,
            "body": self.instance.body,
            "channels": self.instance.channels,
            "products": self.instance.products,
        }


class FollowUpDeliverySerializer(serializers.Serializer):
    """The outbox row of what the follow-up sent (an email, a survey link)."""

    state = serializers.ChoiceField(choices=OutboxState.choices)
    channel = serializers.CharField()
    recipient = serializers.CharField()
    attempts = serializers.IntegerField()
    error = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)


class FollowUpSerializer(serializers.ModelSerializer):
    customer = CustomerBriefSerializer(read_only=True)
    message_id = serializers.CharField(
        read_only=True, help_text="The email's Message-ID (no <>): a reply to it is linked."
    )
    message_delivery = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "rule",
            "customer",
            "subject_key",
            "delivery",
            "ticket",
            "due_at",
            "state",
            "attempts",
            "error",
            "outcome",
            "done_at",
            "result_ticket",
            "result_message",
            "reply_ticket",
            "message_id",
            "message_delivery",
            "created_at",
        ]

    @extend_schema_field(FollowUpDeliverySerializer(allow_null=True))
    def get_message_delivery(self, followup: FollowUp) -> dict | None:
        row = followup.outbox_message
        return FollowUpDeliverySerializer(row).data if row is not None else None


class SurveySerializer(serializers.ModelSerializer):
    customer = CustomerBriefSerializer(read_only=True)
    csat_score = serializers.SerializerMethodField(help_text="CSAT on 0-100 (higher is better).")
    ces_score = serializers.SerializerMethodField(help_text="CES on 0-100 (lower is better).")

    class Meta:
        model = Survey
        fields = [
            "id",
            "ticket",
            "customer",
            "sent_at",
            "expires_at",
            "answered_at",
            "csat",
            "ces",
            "nps",
            "comment",
            "csat_score",
            "ces_score",
        ]

    def get_csat_score(self, survey) -> float | None:
        return csat_score(survey.csat)

    def get_ces_score(self, survey) -> float | None:
        return ces_score(survey.ces)


class SurveyAnswerSerializer(serializers.Serializer):
    csat = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    ces = serializers.IntegerField(min_value=1, max_value=7, required=False, allow_null=True)
    nps = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class AtRiskCustomerSerializer(CustomerBriefSerializer):
    score = serializers.IntegerField(source="health.score")
    at_risk_since = serializers.DateTimeField(source="health.at_risk_since")
    reasons = serializers.ListField(child=serializers.DictField(), source="health.reasons")

    class Meta(CustomerBriefSerializer.Meta):
        fields = [*CustomerBriefSerializer.Meta.fields, "score", "at_risk_since", "reasons"]


class SatisfactionReportSerializer(serializers.Serializer):
    surveys_sent = serializers.IntegerField()
    answers = serializers.IntegerField()
    csat = serializers.FloatField(allow_null=True, help_text="0-100, higher is better.")
    ces = serializers.FloatField(allow_null=True, help_text="0-100, lower is better.")
    nps = serializers.FloatField(allow_null=True, help_text="-100..100.")
