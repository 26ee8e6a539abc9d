"""The providers' webhook door, /api/v1/hooks/<kind>/<channel id>/, proved with a provider that
exists only here ("carrier", registered in the test): what every provider adapter (Telegram,
Twilio, WhatsApp...) relies on. The provider signs the exact bytes it posts; a body that is not
signed is 401, signed wrongly 403, and neither stores anything; a signed body's messages are
stored raw and processed into tickets; the provider's retry is a duplicate; its delivery
statuses update the outbox row it knows by its id; GET is its subscription handshake."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy

from customers.services import IdentityInput, customer_resolve
from outbox.models import OutboxMessage, State
from tests.conftest import assert_error
from tickets.channels import registry
from tickets.channels.config import channel_save, public_settings
from tickets.channels.intake import Outcome
from tickets.channels.models import Channel, InboundMessage, InboundState
from tickets.channels.providers import (
    DeliveryStatus,
    InboundItem,
    PayloadRejected,
    ProviderHooks,
    SignatureRejected,
)
from tickets.channels.registry import Capabilities, ChannelAdapter
from tickets.channels.threads import MessageContent, NewTicket, continue_or_open
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

CARRIER = "carrier"
SIGNATURE = "X-Carrier-Signature"


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _verify(channel: Channel, request) -> None:
    given = request.headers.get(SIGNATURE)
    if not given:
        raise SignatureRejected("The body is not signed.", status=401)
    if not hmac.compare_digest(given, _sign(channel.settings["signing_secret"], request.body)):
        raise SignatureRejected("The signature does not match the body.")


def _parse(channel: Channel, request) -> list[InboundItem | DeliveryStatus]:
    try:
        events = json.loads(request.body)["events"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadRejected("Not a carrier body.") from exc
    items: list[InboundItem | DeliveryStatus] = []
    for event in events:
        if event.get("type") == "status":
            items.append(DeliveryStatus(provider_id=event["message_id"], status=event["status"]))
        else:
            items.append(InboundItem(dedupe_key=f"carrier:{event['id']}", payload=event))
    return items


def _handshake(channel: Channel, request) -> HttpResponse:
    if request.GET.get("token") != channel.settings["verify_token"]:
        return HttpResponse("wrong token", status=403)
    return HttpResponse(request.GET.get("challenge", ""), content_type="text/plain")


def _process(inbound: InboundMessage) -> Outcome:
    data = inbound.raw_json
    customer = customer_resolve(
        identities=[IdentityInput("social", data["from"]["id"], CARRIER)],
        name=data["from"].get("name", ""),
    )
    return continue_or_open(
        inbound.channel,
        customer=customer,
        content=MessageContent(body=data["text"], external_id=f"carrier:{data['id']}"),
        new_ticket=NewTicket(subject=f"Carrier message from {data['from']['id']}"),
        thread_key=f"carrier:{data['from']['id']}",
    )


def _adapter(**hooks) -> ChannelAdapter:
    return ChannelAdapter(
        kind=CARRIER,
        label=gettext_lazy("Carrier"),
        icon="social",
        capabilities=Capabilities(replies=True, conversation=True),
        process=_process,
        settings_allowed=frozenset({"signing_secret", "verify_token"}),
        settings_required=frozenset({"signing_secret"}),
        provider=ProviderHooks(verify=_verify, parse=_parse, **hooks),
    )


@pytest.fixture
def carrier(team):
    registry.register(_adapter(handshake=_handshake))
    yield channel_save(
        channel=Channel(),
        kind=CARRIER,
        name="Carrier",
        settings={"signing_secret": "s3cret", "verify_token": "vt-1"},
    )
    registry.unregister(CARRIER)


def _event(event_id: str, text: str = "Where is my parcel?", user: str = "u-7") -> dict:
    return {"type": "message", "id": event_id, "from": {"id": user, "name": "Kim"}, "text": text}


SECRET = "s3cret"


def _post(client, channel, events, *, capture=None, secret=SECRET, signed=True, path=None):
    body = json.dumps({"events": events}).encode()
    headers = {SIGNATURE: _sign(secret, body)} if signed else {}
    url = path or f"/api/v1/hooks/{CARRIER}/{channel.pk}/"
    if capture is None:
        return client.post(url, body, content_type="application/json", headers=headers)
    with capture(execute=True):
        return client.post(url, body, content_type="application/json", headers=headers)


def test_a_signed_body_is_stored_raw_and_processed_into_a_ticket(
    anon_client, carrier, django_capture_on_commit_callbacks
):
    response = _post(
        anon_client,
        carrier,
        [_event("e1"), _event("e2", "It was due Monday")],
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "stored": 2, "duplicates": 0, "statuses": 0}
    rows = list(InboundMessage.objects.order_by("id"))
    assert [(r.dedupe_key, r.door, r.state) for r in rows] == [
        ("carrier:e1", "provider", InboundState.PROCESSED),
        ("carrier:e2", "provider", InboundState.PROCESSED),
    ]
    assert rows[0].raw_json == _event("e1")
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject) == (CARRIER, "Carrier message from u-7")
    assert list(ticket.messages.values_list("body_text", flat=True)) == [
        "Where is my parcel?",
        "It was due Monday",
    ]
    identity = ticket.requester.identities.get()
    assert (identity.kind, identity.platform, identity.value) == ("social", CARRIER, "u-7")


def test_the_provider_s_retry_of_a_body_is_a_duplicate_and_changes_nothing(
    anon_client, carrier, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _post(anon_client, carrier, [_event("e1")], capture=capture)
    again = _post(anon_client, carrier, [_event("e1")], capture=capture)
    assert again.status_code == 200
    assert again.json() == {"ok": True, "stored": 0, "duplicates": 1, "statuses": 0}
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.get().messages.count() == 1


def test_a_wrong_signature_is_403_and_stores_nothing(anon_client, carrier):
    response = _post(anon_client, carrier, [_event("e1")], secret="guessed")
    assert_error(response, 403)
    assert not InboundMessage.objects.exists()
    assert not Ticket.objects.exists()


def test_an_unsigned_body_is_401_and_stores_nothing(anon_client, carrier):
    response = _post(anon_client, carrier, [_event("e1")], signed=False)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Signature realm="carrier webhook"'
    assert not InboundMessage.objects.exists()


def test_a_signed_body_the_adapter_cannot_read_is_400_and_stores_nothing(anon_client, carrier):
    body = b'{"not": "events"'
    response = anon_client.post(
        f"/api/v1/hooks/{CARRIER}/{carrier.pk}/",
        body,
        content_type="application/json",
        headers={SIGNATURE: _sign("s3cret", body)},
    )
    assert_error(response, 400)
    assert not InboundMessage.objects.exists()


def test_unknown_kinds_and_channels_are_404_and_store_nothing(anon_client, carrier):
    email = channel_save(
        channel=Channel(), kind="email", name="Mail", settings={"address": "s@acme.test"}
    )
    inactive = channel_save(
        channel=Channel(),
        kind=CARRIER,
        name="Old carrier",
        settings={"signing_secret": "s3cret"},
        is_active=False,
    )
    for path in (
        f"/api/v1/hooks/pigeon/{carrier.pk}/",  # nobody registered the kind
        f"/api/v1/hooks/email/{email.pk}/",  # a kind without provider hooks
        f"/api/v1/hooks/{CARRIER}/{email.pk}/",  # a channel of another kind
        f"/api/v1/hooks/{CARRIER}/{inactive.pk}/",
        f"/api/v1/hooks/{CARRIER}/999999/",
    ):
        assert_error(_post(anon_client, carrier, [_event("e1")], path=path), 404, "not_found")
    assert not InboundMessage.objects.exists()


def _sent(provider_id: str, transport: str = CARRIER) -> OutboxMessage:
    return OutboxMessage.objects.create(
        transport=transport,
        purpose="reply",
        channel=transport,
        state=State.SENT,
        provider_id=provider_id,
    )


def _status(message_id: str, status: str) -> dict:
    return {"type": "status", "message_id": message_id, "status": status}


def test_delivery_statuses_update_the_outbox_row_the_provider_knows_by_its_id(
    anon_client, carrier, django_capture_on_commit_callbacks
):
    ours, other_transport = _sent("out-1"), _sent("out-1", transport="webhook")
    capture = django_capture_on_commit_callbacks
    delivered = _post(anon_client, carrier, [_status("out-1", "delivered")], capture=capture)
    assert delivered.json() == {"ok": True, "stored": 0, "duplicates": 0, "statuses": 1}
    ours.refresh_from_db()
    assert ours.delivered_at is not None
    assert ours.read_at is None
    _post(anon_client, carrier, [_status("out-1", "read")], capture=capture)
    # Late and out of order: a failure after read changes nothing; unknown ids are no error.
    late = _post(
        anon_client,
        carrier,
        [_status("out-1", "failed"), _status("never-sent", "delivered")],
        capture=capture,
    )
    assert late.json()["statuses"] == 0
    ours.refresh_from_db()
    other_transport.refresh_from_db()
    assert (ours.state, ours.read_at is not None) == (State.SENT, True)
    assert (other_transport.delivered_at, other_transport.read_at) == (None, None)
    assert not InboundMessage.objects.exists()


def test_a_failed_status_fails_the_row_with_the_provider_s_reason(anon_client, carrier):
    row = _sent("out-2")
    _post(anon_client, carrier, [_status("out-2", "failed")])
    row.refresh_from_db()
    assert (row.state, row.error) == (State.FAILED, "provider: failed")


def test_a_wrong_signature_applies_no_status(anon_client, carrier):
    row = _sent("out-3")
    response = _post(anon_client, carrier, [_status("out-3", "delivered")], secret="nope")
    assert_error(response, 403)
    row.refresh_from_db()
    assert row.delivered_at is None


def test_get_is_the_provider_s_handshake(anon_client, carrier):
    url = f"/api/v1/hooks/{CARRIER}/{carrier.pk}/"
    answered = anon_client.get(url, {"token": "vt-1", "challenge": "1158201444"})
    assert (answered.status_code, answered.content) == (200, b"1158201444")
    refused = anon_client.get(url, {"token": "guess", "challenge": "1158201444"})
    assert refused.status_code == 403


def test_get_without_a_handshake_and_other_methods_are_405(anon_client, carrier):
    registry.register(_adapter())  # the same provider, without a handshake
    url = f"/api/v1/hooks/{CARRIER}/{carrier.pk}/"
    assert_error(anon_client.get(url), 405)
    assert_error(anon_client.put(url, b"{}", content_type="application/json"), 405)
    assert_error(anon_client.get(f"/api/v1/hooks/{CARRIER}/999999/"), 404)


def test_an_adapter_s_acknowledge_is_the_answer(anon_client, carrier):
    def acknowledge(channel, items):
        return JsonResponse({"received": len(items)}, status=200)

    registry.register(_adapter(acknowledge=acknowledge))
    response = _post(anon_client, carrier, [_event("e1"), _status("x", "read")])
    assert (response.status_code, response.json()) == (200, {"received": 2})
    assert InboundMessage.objects.count() == 1


def test_a_provider_s_secrets_are_masked_in_the_api(manager_client, carrier):
    shown = manager_client.get(f"/api/v1/channels/{carrier.pk}/").json()["settings"]
    assert shown == {"signing_secret": "********", "verify_token": "********"}
    assert public_settings({"bot_token": "1:x", "auth_token": "t", "number": "+1"}) == {
        "bot_token": "********",
        "auth_token": "********",
        "number": "+1",
    }
