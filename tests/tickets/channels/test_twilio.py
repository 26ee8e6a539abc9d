"""Twilio: SMS webhooks and status callbacks on the sms channel, voice status callbacks on the
phone channel, replies through the Messages REST API (a local server stands in for
api.twilio.com). Bodies are form-encoded as Twilio documents them, signed with
X-Twilio-Signature."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from customers.services import IdentityInput, customer_create
from outbox.models import OutboxMessage, State
from tests.conftest import assert_error
from tickets.channels.models import InboundMessage
from tickets.channels.twilio import signature
from tickets.models import Ticket
from tickets.services import ticket_reply

from .conftest import AUTH_TOKEN, SID, make_channel

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+442079460000"
KIM_NUMBER = "+442079460958"


def test_the_signature_is_twilio_s_own_documented_example():
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert signature("12345", url, params[::-1]) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def incoming_sms(sid: str, body: str, **extra) -> dict:
    """An incoming message webhook as Twilio posts it."""
    return {
        "ToCountry": "GB",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "FromCountry": "GB",
        "To": OUR_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": SID,
        "From": KIM_NUMBER,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def post(client, channel, params: dict, capture=None, *, url=None, token=AUTH_TOKEN, signed=True):
    path = f"/api/v1/hooks/{channel.kind}/{channel.pk}/"
    signed_url = url or f"http://testserver{path}"
    headers = {}
    if signed:
        headers["X-Twilio-Signature"] = signature(token, signed_url, list(params.items()))
    body = urlencode(params)
    kwargs = {"content_type": "application/x-www-form-urlencoded", "headers": headers}
    if capture is None:
        return client.post(path, body, **kwargs)
    with capture(execute=True):
        return client.post(path, body, **kwargs)


def test_an_sms_joins_the_customer_known_by_that_number_and_answers_empty_twiml(
    anon_client, sms, django_capture_on_commit_callbacks
):
    kim = customer_create(name="Kim", identities=[IdentityInput("phone", "+44 (0)20 7946 0958")])
    capture = django_capture_on_commit_callbacks
    response = post(anon_client, sms, incoming_sms("SM1", "Is my order shipped?"), capture)
    post(anon_client, sms, incoming_sms("SM2", "Order 881"), capture)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.channel, ticket.subject) == (
        kim,
        "sms",
        f"SMS from {KIM_NUMBER}",
    )
    assert list(ticket.messages.values_list("body_text", "external_id")) == [
        ("Is my order shipped?", "sms:SM1"),
        ("Order 881", "sms:SM2"),
    ]


def test_signatures_missing_wrong_or_for_another_url_store_nothing(
    anon_client, sms, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    params = incoming_sms("SM1", "Hi")
    assert_error(post(anon_client, sms, params, capture, signed=False), 401)
    assert_error(post(anon_client, sms, params, capture, token="not-the-token"), 403)
    elsewhere = "https://evil.example/api/v1/hooks/sms/1/"
    assert_error(post(anon_client, sms, params, capture, url=elsewhere), 403)
    # A parameter changed after signing.
    path = f"/api/v1/hooks/sms/{sms.pk}/"
    headers = {
        "X-Twilio-Signature": signature(
            AUTH_TOKEN, f"http://testserver{path}", list(params.items())
        )
    }
    tampered = anon_client.post(
        path,
        urlencode({**params, "Body": "Refund me"}),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )
    assert_error(tampered, 403)
    assert not InboundMessage.objects.exists()


def test_behind_a_proxy_the_url_twilio_used_is_the_one_checked(
    anon_client, sms, settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    public = f"https://help.acme.test/api/v1/hooks/sms/{sms.pk}/"
    # As Django sees it (http://testserver/...) the signature of the public URL fails...
    assert_error(post(anon_client, sms, incoming_sms("SM1", "Hi"), capture, url=public), 403)
    # ...unless the public base is configured, or the channel names the URL set in Twilio.
    settings.TWILIO_WEBHOOK_BASE_URL = "https://help.acme.test"
    assert post(anon_client, sms, incoming_sms("SM1", "Hi"), capture, url=public).status_code == 200
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    sms.settings["public_url"] = f"https://help.acme.test:443/twilio/{sms.pk}"
    sms.save()
    ported = post(
        anon_client, sms, incoming_sms("SM2", "Hi"), capture, url=sms.settings["public_url"]
    )
    assert ported.status_code == 200
    without_port = f"https://help.acme.test/twilio/{sms.pk}"
    assert (
        post(anon_client, sms, incoming_sms("SM3", "Hi"), capture, url=without_port).status_code
        == 200
    )
    assert InboundMessage.objects.count() == 3


def test_twilio_s_retry_of_a_message_is_a_duplicate(
    anon_client, sms, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    post(anon_client, sms, incoming_sms("SM1", "Hi"), capture)
    again = post(anon_client, sms, incoming_sms("SM1", "Hi"), capture)
    assert again.status_code == 200
    assert InboundMessage.objects.get().dedupe_key == "sms:SM1"
    assert Ticket.objects.get().messages.count() == 1


def test_mms_media_is_fetched_with_the_account_s_credentials(
    anon_client, sms, twilio_api, django_capture_on_commit_callbacks
):
    media_path = f"/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
    twilio_api.media[media_path] = ("image/png", b"\x89PNG a photo")
    params = incoming_sms(
        "MM1",
        "",
        NumMedia="1",
        MediaUrl0=twilio_api.base + media_path,
        MediaContentType0="image/png",
    )
    post(anon_client, sms, params, django_capture_on_commit_callbacks)
    attachment = Ticket.objects.get().messages.get().attachments.get()
    assert (attachment.filename, attachment.content_type) == ("media-MM1-0.png", "image/png")
    assert attachment.file.read() == b"\x89PNG a photo"
    assert twilio_api.requests[0].headers["Authorization"].startswith("Basic ")


def test_media_outside_twilio_is_recorded_not_fetched(
    anon_client, sms, twilio_api, django_capture_on_commit_callbacks
):
    elsewhere = "http://169.254.169.254/latest/meta-data"
    params = incoming_sms(
        "MM2", "See", NumMedia="1", MediaUrl0=elsewhere, MediaContentType0="image/png"
    )
    post(anon_client, sms, params, django_capture_on_commit_callbacks)
    message = Ticket.objects.get().messages.get()
    assert message.attachments.count() == 0
    assert [(p["reason"], p["url"]) for p in message.withheld_parts] == [("external", elsewhere)]
    assert twilio_api.requests == []


@pytest.fixture
def sms_ticket(anon_client, sms, django_capture_on_commit_callbacks):
    post(
        anon_client,
        sms,
        incoming_sms("SM1", "Is my order shipped?"),
        django_capture_on_commit_callbacks,
    )
    return Ticket.objects.get()


def _status(sid: str, status: str, **extra) -> dict:
    """A message status callback as Twilio posts it."""
    return {
        "AccountSid": SID,
        "From": OUR_NUMBER,
        "To": KIM_NUMBER,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        **extra,
    }


def test_a_reply_goes_through_the_messages_api_and_its_statuses_come_back(
    anon_client, sms_ticket, sms, agent, twilio_api, django_capture_on_commit_callbacks
):
    sms.settings["public_url"] = f"https://help.acme.test/api/v1/hooks/sms/{sms.pk}/"
    sms.save()
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        message = ticket_reply(ticket=sms_ticket, author=agent, body="Shipped today.")
    [sent] = twilio_api.requests
    assert (sent.method, sent.path) == ("POST", f"/2010-04-01/Accounts/{SID}/Messages.json")
    assert sent.form == {
        "To": KIM_NUMBER,
        "From": OUR_NUMBER,
        "Body": "Shipped today.",
        "StatusCallback": sms.settings["public_url"],
    }
    row = OutboxMessage.objects.get(message=message)
    assert (row.transport, row.state) == ("sms", State.SENT)
    assert row.provider_id.startswith("SM")
    url = sms.settings["public_url"]
    for status in ("queued", "sent"):
        said = post(anon_client, sms, _status(row.provider_id, status), capture, url=url)
        assert said.status_code == 200
    row.refresh_from_db()
    assert row.delivered_at is None
    post(anon_client, sms, _status(row.provider_id, "delivered"), capture, url=url)
    row.refresh_from_db()
    assert row.delivered_at is not None
    assert not InboundMessage.objects.filter(dedupe_key__contains=row.provider_id).exists()


def test_an_undelivered_status_fails_the_row_with_twilio_s_error_code(
    anon_client, sms_ticket, agent, sms, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        message = ticket_reply(ticket=sms_ticket, author=agent, body="Shipped today.")
    row = OutboxMessage.objects.get(message=message)
    post(anon_client, sms, _status(row.provider_id, "undelivered", ErrorCode="30003"), capture)
    row.refresh_from_db()
    assert (row.state, row.error) == (State.FAILED, "provider: undelivered (Twilio error 30003)")


def test_a_number_that_opted_out_fails_the_reply_at_once(
    sms_ticket, agent, twilio_api, django_capture_on_commit_callbacks
):
    twilio_api.fail_next(
        400,
        {
            "code": 21610,
            "message": "Attempt to send to unsubscribed recipient",
            "more_info": "https://www.twilio.com/docs/errors/21610",
            "status": 400,
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(ticket=sms_ticket, author=agent, body="Hello?")
    row = OutboxMessage.objects.get(message=message)
    assert (row.state, row.attempts, row.last_status) == (State.FAILED, 1, 400)
    assert "21610 Attempt to send to unsubscribed recipient" in row.error


def call_status(call_sid: str, status: str, **extra) -> dict:
    """A voice status callback as Twilio posts it."""
    return {
        "AccountSid": SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": status,
        "Called": OUR_NUMBER,
        "Caller": KIM_NUMBER,
        "Direction": "inbound",
        "From": KIM_NUMBER,
        "To": OUR_NUMBER,
        "Timestamp": "Mon, 01 Dec 2026 10:15:00 +0000",
        "CallbackSource": "call-progress-events",
        "SequenceNumber": "3",
        **extra,
    }


def test_a_completed_call_becomes_a_call_record_with_its_recording(
    anon_client, hotline, django_capture_on_commit_callbacks
):
    recording = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Recordings/RE1"
    params = call_status("CA1", "completed", CallDuration="125", RecordingUrl=recording)
    response = post(anon_client, hotline, params, django_capture_on_commit_callbacks)
    assert response.content == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject, ticket.external_ref) == (
        "phone",
        f"Call from {KIM_NUMBER}",
        "CA1",
    )
    body = ticket.messages.get().body_text
    assert f"Inbound call from {KIM_NUMBER} at 2026-12-01 10:12 UTC (2 min 5 s)" in body
    assert f"Recording: {recording}" in body
    row = InboundMessage.objects.get()
    assert row.raw_json["twilio"]["CallSid"] == "CA1"


def test_a_missed_call_opens_the_call_back_ticket_once(
    anon_client, hotline, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for status in ("ringing", "no-answer", "no-answer"):
        assert post(anon_client, hotline, call_status("CA2", status), capture).status_code == 200
    assert list(InboundMessage.objects.values_list("dedupe_key", flat=True)) == [
        "twilio:CA2:no-answer"
    ]
    ticket = Ticket.objects.get()
    assert ticket.subject == f"Call back: missed call from {KIM_NUMBER}"
    assert ticket.tags.filter(name="call-back").exists()
    assert "Twilio call status: no-answer." in ticket.messages.get().body_text


def test_a_busy_caller_is_a_missed_call_too_and_a_phone_channel_without_twilio_refuses(
    anon_client, hotline, team, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    post(anon_client, hotline, call_status("CA3", "busy"), capture)
    assert Ticket.objects.get().tags.filter(name="call-back").exists()
    plain = make_channel("phone", "Other line", number="+44 20 7946 0001")
    assert_error(post(anon_client, plain, call_status("CA4", "busy"), capture), 403)
    assert InboundMessage.objects.count() == 1


def test_twilio_credentials_are_masked(manager_client, sms):
    shown = manager_client.get(f"/api/v1/channels/{sms.pk}/").json()["settings"]
    assert shown == {"number": OUR_NUMBER, "account_sid": SID, "auth_token": "********"}
