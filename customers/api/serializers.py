"""Customer and organization serializers: validation at the door, services do the work."""

from __future__ import annotations

from rest_framework import serializers

from ..models import (
    Customer,
    CustomerIdentity,
    IdentityKind,
    Locale,
    Organization,
    sla_policy_choices,
    sla_tier_choices,
)
from ..services import IdentityInput


class OrganizationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]


class IdentitySerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=IdentityKind.choices)
    value = serializers.CharField(max_length=254)
    platform = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")

    class Meta:
        model = CustomerIdentity
        fields = ["id", "kind", "platform", "value", "undeliverable_at", "undeliverable_reason"]
        read_only_fields = ["id", "undeliverable_at", "undeliverable_reason"]
        validators = []  # uniqueness is checked on the normalized value by the service


class CustomerSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True, allow_null=True)
    identities = IdentitySerializer(many=True, read_only=True)
    email = serializers.CharField(source="primary_email", read_only=True)
    tier = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The customer's own tier (wins over the organization's).",
    )
    sla_policy = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The customer's individual override policy, if any.",
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "organization",
            "tier",
            "sla_policy",
            "locale",
            "is_organization_contact",
            "identities",
            "created_at",
            "updated_at",
        ]


class CustomerBriefSerializer(serializers.ModelSerializer):
    email = serializers.CharField(source="primary_email", read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "email"]


class _CustomerFieldsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    identities = IdentitySerializer(many=True, required=False, help_text="Identities to add.")
    locale = serializers.ChoiceField(
        choices=Locale.choices,
        required=False,
        allow_blank=True,
        help_text='The language we answer this customer in ("" = unknown: guessed from the '
        "next email's Content-Language or the portal's browser language).",
    )

    def identity_inputs(self) -> list[IdentityInput]:
        return [
            IdentityInput(i["kind"], i["value"], i.get("platform", ""))
            for i in self.validated_data.get("identities", [])
        ]


class CustomerUpdateSerializer(_CustomerFieldsSerializer):
    """PATCH; the customer's own SLA fields are for managers only, like an organization's."""

    SLA_FIELDS = ("tier", "sla_policy")

    is_organization_contact = serializers.BooleanField(
        required=False,
        help_text="The organization's contact: sees all of the organization's tickets in the "
        "customer portal.",
    )

    tier = serializers.PrimaryKeyRelatedField(
        queryset=sla_tier_choices(),
        required=False,
        allow_null=True,
        help_text="The customer's own tier, over the organization's (managers only).",
    )
    sla_policy = serializers.PrimaryKeyRelatedField(
        queryset=sla_policy_choices(),
        required=False,
        allow_null=True,
        help_text="An individual agreement for this customer: a current policy version; wins "
        "over the organization's override and the tiers' policies (managers only).",
    )


class CustomerCreateSerializer(_CustomerFieldsSerializer):
    identities = IdentitySerializer(
        many=True, allow_empty=False, help_text="At least one email, phone or social handle."
    )


class OrganizationSerializer(serializers.ModelSerializer):
    domains = serializers.ListField(
        source="domain_names",
        child=serializers.CharField(max_length=253),
        required=False,
        help_text="Email domains whose senders belong to this organization.",
    )
    tier = serializers.PrimaryKeyRelatedField(
        queryset=sla_tier_choices(), required=False, allow_null=True
    )
    sla_policy = serializers.PrimaryKeyRelatedField(
        queryset=sla_policy_choices(),
        required=False,
        allow_null=True,
        help_text="An individual agreement: measures the organization's tickets instead of "
        "the tier's policy (a current policy version).",
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "domains",
            "tier",
            "sla_policy",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class CustomerMergeSerializer(serializers.Serializer):
    source_id = serializers.IntegerField(help_text="The customer merged into this one (removed).")
