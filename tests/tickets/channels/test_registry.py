"""The channel adapter registry: every kind has its adapter, and a new kind needs nothing but
an adapter (registered here in the test) to get a door, settings rules, tickets that thread,
and a name in the outside-plan answer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from customers.services import IdentityInput, customer_resolve
from outbox import transports
from tests.factories import CustomerFactory, OrganizationFactory, PolicyFactory, TierFactory
from tickets.channels import registry
from tickets.channels.config import channel_save
from tickets.channels.intake import Outcome, integration_of, resolve_channel
from tickets.channels.models import Channel, ChannelThread, InboundMessage, InboundState
from tickets.channels.registry import Capabilities, ChannelAdapter
from tickets.channels.threads import MessageContent, NewTicket, continue_or_open
from tickets.choices import ChannelKind
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

PIGEON = "pigeon"


class PigeonPayload(serializers.Serializer):
    channel = serializers.CharField(required=False)
    flight_id = serializers.CharField(max_length=50)
    message_id = serializers.CharField(max_length=50)
    sender = serializers.EmailField()
    text = serializers.CharField(max_length=2000)


def _process(inbound: InboundMessage) -> Outcome:
    data = PigeonPayload(data=inbound.raw_json)
    data.is_valid(raise_exception=True)
    customer = customer_resolve(
        source_integration=integration_of(inbound),
        identities=[IdentityInput("email", data.validated_data["sender"])],
    )
    return continue_or_open(
        inbound.channel,
        customer=customer,
        content=MessageContent(body=data.validated_data["text"]),
        new_ticket=NewTicket(subject=f"Pigeon {data.validated_data['flight_id']}"),
        thread_key=data.validated_data["flight_id"],
        submitted_by=inbound.submitted_by,
    )


def _clean_loft(values: dict, clean: dict, errors: dict) -> None:
    if values.get("loft") and not str(values["loft"]).isalpha():
        errors["settings.loft"] = ["A loft is named by letters."]


@pytest.fixture
def pigeon():
    adapter = registry.register(
        ChannelAdapter(
            kind=PIGEON,
            label=gettext_lazy("Carrier pigeon"),
            icon="pigeon",
            capabilities=Capabilities(replies=True),
            payload_serializer=PigeonPayload,
            dedupe_key=lambda data: f"{data['flight_id']}:{data['message_id']}",
            channel_for=lambda data: resolve_channel(PIGEON, data.get("channel")),
            process=_process,
            settings_allowed=frozenset({"loft"}),
            settings_required=frozenset({"loft"}),
            settings_clean=(_clean_loft,),
            reply_transport="pigeon-post",
        )
    )
    yield adapter
    registry.unregister(PIGEON)


def test_every_channel_kind_has_exactly_one_adapter():
    assert sorted(a.kind for a in registry.adapters()) == sorted(ChannelKind.values)
    assert {a.kind: a.reply_transport for a in registry.adapters()} == {
        "email": "email",
        "chat": "chat",
        "social": "webhook",
        "phone": None,
        "web": None,
        "api": None,
        "telegram": "telegram",
        "sms": "sms",
        "whatsapp": "whatsapp",
        "messenger": "messenger",
        "instagram": "instagram",
    }
    # every reply transport an adapter names is registered with the outbox
    named = {a.reply_transport for a in registry.adapters()} - {None}
    assert named <= set(transports.TRANSPORTS)
    assert [a.kind for a in registry.adapters() if a.served_by_every_tier] == ["api"]


def test_a_kind_s_settings_follow_its_adapter(pigeon):
    with pytest.raises(ValidationError) as missing:
        channel_save(channel=Channel(), kind=PIGEON, name="Loft", settings={"wingspan": 2})
    assert missing.value.message_dict == {
        "settings.loft": ["This setting is required."],
        "settings.wingspan": ["Not a setting of a pigeon channel."],
    }
    with pytest.raises(ValidationError) as bad:
        channel_save(channel=Channel(), kind=PIGEON, name="Loft", settings={"loft": "no. 9"})
    assert bad.value.message_dict == {"settings.loft": ["A loft is named by letters."]}
    assert not Channel.objects.exists()


def test_a_kind_added_by_an_adapter_alone_round_trips_inbound_messages_into_a_ticket(
    pigeon, integration_client, team, django_capture_on_commit_callbacks
):
    loft = channel_save(
        channel=Channel(), kind=PIGEON, name="North loft", settings={"loft": "north"}
    )

    def post(message_id: str, text: str):
        payload = {
            "flight_id": "f-7",
            "message_id": message_id,
            "sender": "kim@example.com",
            "text": text,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return integration_client.post("/api/v1/inbound/pigeon/", payload, format="json")

    first, again, second = (
        post("1", "Seeds please"),
        post("1", "Seeds please"),
        post("2", "Also water"),
    )
    assert (first.status_code, again.status_code, second.status_code) == (202, 200, 202)
    rows = InboundMessage.objects.order_by("id")
    assert [(r.kind, r.state) for r in rows] == [(PIGEON, InboundState.PROCESSED)] * 2
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject, ticket.team) == (PIGEON, "Pigeon f-7", team)
    assert list(ticket.messages.values_list("channel", "body_text")) == [
        (PIGEON, "Seeds please"),
        (PIGEON, "Also water"),
    ]
    assert ChannelThread.objects.get().channel == loft
    # The API shows the ticket on its kind.
    shown = integration_client.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert shown["channel"] == PIGEON


def test_a_door_for_a_kind_without_a_json_payload_is_not_found(integration_client):
    response = integration_client.post("/api/v1/inbound/web/", {"text": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    unknown = integration_client.post("/api/v1/inbound/nope/", {"text": "x"}, format="json")
    assert unknown.status_code == 404
    assert not InboundMessage.objects.exists()


def test_the_outside_plan_answer_names_channels_by_their_adapter_s_label(pigeon):
    from tickets import services as ticket_services

    tier = TierFactory(name="Lofts", policy=PolicyFactory(), channels=[PIGEON, "email"])
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))
    ticket = ticket_services.ticket_create(
        requester=customer, subject="Hi", body="x", channel=ChannelKind.PHONE
    )
    answer = ticket.messages.get(direction="outbound")
    assert "support by Carrier pigeon, Email;" in answer.body_text
