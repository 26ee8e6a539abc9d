"""Ticket, message, event and team serializers."""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from api.bound_once import BoundOnceSerializer
from api.fields import BriefUserSerializer, LabelChoiceField
from customers.api.serializers import CustomerBriefSerializer, OrganizationBriefSerializer
from customers.identities import normalize_phone
from customers.services import IdentityInput
from outbox.models import State as OutboxState

from ..channels.intake import TicketChannel, ticket_channel_named
from ..models import (
    Attachment,
    ChannelKind,
    Message,
    Priority,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketType,
)
from ..status import Status


class TeamBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class TicketSerializer(serializers.ModelSerializer):
    priority = LabelChoiceField(Priority)
    requester = CustomerBriefSerializer(read_only=True)
    organization = OrganizationBriefSerializer(read_only=True, allow_null=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    assignee = BriefUserSerializer(read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    merged_into = serializers.IntegerField(
        source="merge.target_id",
        read_only=True,
        allow_null=True,
        help_text="The ticket this one was merged into (it is closed); null if not merged.",
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "status",
            "priority",
            "type",
            "channel",
            "kind",
            "requester",
            "organization",
            "team",
            "assignee",
            "tags",
            "external_ref",
            "created_at",
            "updated_at",
            "first_replied_at",
            "solved_at",
            "closed_at",
            "next_due_at",
            "outside_plan",
            "version",
            "merged_into",
        ]
        read_only_fields = fields


@functools.cache
def _ticket_serializer() -> TicketSerializer:
    return TicketSerializer()


def ticket_data(ticket: Ticket) -> dict:
    """`TicketSerializer(ticket).data`, from one serializer built once per process.

    DRF builds a ModelSerializer's fields for every instance (model introspection and deep
    copies of the declared fields: a seventh of a ticket create's CPU in bench.profile_light).
    These fields are all read-only and keep nothing between calls, so the bound ones serve
    every ticket alike (no context: nothing in them depends on the request)."""
    return _ticket_serializer().to_representation(ticket)


class RequesterInputSerializer(BoundOnceSerializer):
    """Who is asking, by identity; an unknown identity creates the customer."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False)
    phone = serializers.CharField(max_length=40, required=False)
    handle = serializers.CharField(max_length=100, required=False, help_text="Social handle.")
    platform = serializers.CharField(
        max_length=30, required=False, help_text="Social platform of the handle."
    )

    def validate_phone(self, value: str) -> str:
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate(self, attrs):
        if not any(attrs.get(k) for k in ("email", "phone", "handle")):
            raise serializers.ValidationError("Give at least an email, a phone or a handle.")
        if attrs.get("handle") and not attrs.get("platform"):
            raise serializers.ValidationError({"platform": ["A handle needs its platform."]})
        return attrs

    @staticmethod
    def identities(attrs: dict) -> list[IdentityInput]:
        found = []
        if attrs.get("email"):
            found.append(IdentityInput("email", attrs["email"]))
        if attrs.get("phone"):
            found.append(IdentityInput("phone", attrs["phone"]))
        if attrs.get("handle"):
            found.append(IdentityInput("social", attrs["handle"], attrs["platform"]))
        return found


class TicketCreateSerializer(BoundOnceSerializer):
    subject = serializers.CharField(max_length=250)
    body = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Plain text of the first message."
    )
    html_body = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="HTML of the first message; sanitized.",
    )
    requester_id = serializers.IntegerField(required=False, help_text="An existing customer.")
    requester = RequesterInputSerializer(required=False, help_text="Or the customer by identity.")
    channel = serializers.CharField(
        max_length=100,
        default=ChannelKind.API,
        help_text="Where the customer wrote: a channel kind (email, chat, phone, social, web, "
        "api) or a configured channel's id or name (its kind; its default team when `team_id` "
        "is not given). Default `api`: every SLA tier serves it.",
    )
    priority = LabelChoiceField(Priority, default=Priority.NORMAL)
    type = serializers.ChoiceField(choices=TicketType.choices, default=TicketType.QUESTION)
    kind = serializers.ChoiceField(choices=TicketKind.choices, default=TicketKind.REACTIVE)
    team_id = serializers.IntegerField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=20
    )
    external_ref = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=10,
        help_text="Files, with multipart/form-data.",
    )
    record_unsent = serializers.BooleanField(
        default=False,
        help_text="Proactive tickets: when nothing can carry the first message (no email "
        "address that is not marked undeliverable), the create is 422 `undeliverable` and "
        "writes nothing; true opens it anyway with the message recorded undeliverable.",
    )

    def validate_channel(self, value: str) -> TicketChannel:
        found = ticket_channel_named(value)
        if found is None:
            raise serializers.ValidationError(
                "Not a channel kind or an active configured channel.", code="unknown_channel"
            )
        return found

    def validate(self, attrs):
        if ("requester_id" in attrs) == ("requester" in attrs):
            raise serializers.ValidationError(
                {"requester": ["Give either requester_id or requester, not both or neither."]}
            )
        if not attrs["body"].strip() and not attrs["html_body"].strip():
            raise serializers.ValidationError({"body": ["The first message needs a body."]})
        return attrs


class TicketUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=250, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = LabelChoiceField(Priority, required=False)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    team_id = serializers.IntegerField(required=False, allow_null=True)
    assignee_id = serializers.IntegerField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=20,
        help_text="Replaces the ticket's tags.",
    )
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a newer one on the server is a 409."
    )


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "content_id", "download_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment: Attachment) -> str:
        return reverse("attachment-download", args=[attachment.pk])


class WithheldPartSerializer(serializers.Serializer):
    """A part of an email that was not stored as a file, and why."""

    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    reason = serializers.ChoiceField(
        choices=["signature", "external", "unsupported_type", "too_large"]
    )
    detail = serializers.CharField()
    access_type = serializers.CharField(help_text="For an external reference (RFC 2046).")
    url = serializers.CharField(help_text="For an external reference, where the file is.")

    def to_representation(self, instance):
        defaults = {"detail": "", "access_type": "", "url": ""}
        return super().to_representation({**defaults, **instance})


class AuthorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["customer", "agent", "system"])
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


def author_of(customer, user) -> dict:
    if customer is not None:
        return {"type": "customer", "id": customer.pk, "name": str(customer)}
    if user is not None:
        return {"type": "agent", "id": user.pk, "name": user.display_name}
    return {"type": "system", "id": None, "name": "System"}


class MessageDeliverySerializer(serializers.Serializer):
    """How a public outbound message left (its outbox row): the stored truth, never a hope."""

    state = serializers.ChoiceField(choices=OutboxState.choices)
    channel = serializers.CharField(help_text="The channel kind it goes out on (email, chat...).")
    recipient = serializers.CharField(help_text="An address, or the conversation's id.")
    attempts = serializers.IntegerField()
    error = serializers.CharField(help_text="The last error; empty once sent.")
    sent_at = serializers.DateTimeField(allow_null=True)


class MessageSerializer(serializers.ModelSerializer):
    public = serializers.BooleanField(source="is_public")
    author = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    withheld_parts = WithheldPartSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "ticket",
            "direction",
            "public",
            "channel",
            "author",
            "body_text",
            "body_html",
            "external_id",
            "attachments",
            "withheld_parts",
            "delivery",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(AuthorSerializer)
    def get_author(self, message: Message) -> dict:
        return author_of(message.author_customer, message.author_user)

    @extend_schema_field(MessageDeliverySerializer(allow_null=True))
    def get_delivery(self, message: Message) -> dict | None:
        """Null for inbound messages and internal notes (nothing leaves)."""
        row = getattr(message, "delivery", None)
        if row is None:
            return None
        return MessageDeliverySerializer(row).data


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, default="")
    html_body = serializers.CharField(required=False, allow_blank=True, default="")
    public = serializers.BooleanField(
        default=True, help_text="Agents: false writes an internal note. Integrations: always true."
    )
    status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="Agents: the status to set with the reply (e.g. pending).",
    )
    version = serializers.IntegerField(
        required=False, help_text="The ticket version you read; a newer one is a 409."
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10
    )
    record_unsent = serializers.BooleanField(
        default=False,
        help_text=(
            "Agents: when nothing can carry a public reply (the ticket's channel does not reach "
            "the customer and they have no deliverable email), the reply is refused with 422 "
            "`undeliverable` and nothing is written; true stores it anyway, with delivery state "
            "`undeliverable`."
        ),
    )

    template = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=600,
        help_text=(
            "Agents, on a channel with message templates (WhatsApp): the template to send, "
            '"name:language" (or the name), as the channel\'s settings list them; `body` is '
            "its {{1}} when it takes text. Past the 24-hour window only a template may be "
            "sent: free text is refused with 422 `reply_window_closed`."
        ),
    )

    def validate(self, attrs):
        if (
            not attrs["body"].strip()
            and not attrs["html_body"].strip()
            and not attrs["attachments"]
            and not attrs["template"]
        ):
            raise serializers.ValidationError({"body": ["A message needs a body."]})
        return attrs


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["id", "ticket", "kind", "actor", "before", "after", "created_at"]
        read_only_fields = fields

    @extend_schema_field(AuthorSerializer)
    def get_actor(self, event: TicketEvent) -> dict:
        return author_of(event.actor_customer, event.actor_user)


class TeamSerializer(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=User.objects.filter(is_active=True)
    )

    class Meta:
        model = Team
        fields = ["id", "name", "description", "is_default", "members", "created_at"]
        read_only_fields = ["id", "created_at"]
        # The one-default-team constraint is kept by team_save moving the flag, not refused.
        validators = []
        extra_kwargs = {"is_default": {"validators": []}}

    def validate_members(self, members):
        not_agents = [str(u.pk) for u in members if not u.is_agent]
        if not_agents:
            raise serializers.ValidationError(f"Not agents: {', '.join(not_agents)}.")
        return members
