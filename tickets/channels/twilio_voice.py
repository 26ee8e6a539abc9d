"""Twilio voice status callbacks for the phone channel: POST /api/v1/hooks/phone/<channel id>/
(form-encoded, X-Twilio-Signature as twilio.py checks it).

A call's final status (CallStatus completed, no-answer, busy, failed, canceled) becomes the call
record the phone adapter already processes (phone.py: the caller's recent phone ticket or a new
one; anything but completed is a missed call, whose ticket is the "call back" one; the
RecordingUrl is kept). The record is stored with Twilio's own parameters beside it, deduped by
CallSid and status; the in-between statuses (queued, initiated, ringing, in-progress) are
acknowledged and change nothing.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

from django.utils import timezone

from . import twilio
from .models import Channel
from .providers import InboundItem, PayloadRejected, ProviderHooks

FINAL = frozenset({"completed", "no-answer", "busy", "failed", "canceled"})


def _started_at(params: dict, duration: int):
    """When the call began: Twilio's Timestamp (when the status happened) less its length."""
    try:
        ended = parsedate_to_datetime(params["Timestamp"])
    except (KeyError, TypeError, ValueError):
        ended = timezone.now()
    return ended - timedelta(seconds=duration)


def call_record(params: dict) -> dict:
    """A phone.CallPayloadSerializer record of a Twilio call's final status. Outbound calls
    (Direction outbound-api / outbound-dial) are recorded with the customer's number, To."""
    outbound = params.get("Direction", "inbound").startswith("outbound")
    seconds = params.get("CallDuration", "")
    completed = params["CallStatus"] == "completed"
    duration = int(seconds) if completed and seconds.isdigit() else 0
    status = params["CallStatus"]
    record = {
        "call_id": params["CallSid"],
        "from_number": params["To"] if outbound else params["From"],
        "to_number": params["From"] if outbound else params["To"],
        "direction": "outbound" if outbound else "inbound",
        "status": "completed" if status == "completed" else "missed",
        "started_at": _started_at(params, duration).isoformat(),
        "duration_seconds": duration,
        "notes": "" if status == "completed" else f"Twilio call status: {status}.",
        "twilio": params,
    }
    if params.get("CallerName"):
        record["caller_name"] = params["CallerName"]
    if params.get("RecordingUrl"):
        record["recording_url"] = params["RecordingUrl"]
    return record


def parse(channel: Channel, request) -> list[InboundItem]:
    params = twilio.form_dict(request)
    for name in ("CallSid", "CallStatus", "From", "To"):
        if not params.get(name):
            raise PayloadRejected(f"Not a Twilio call status callback: no {name}.")
    if params["CallStatus"] not in FINAL:
        return []
    return [
        InboundItem(
            dedupe_key=f"twilio:{params['CallSid']}:{params['CallStatus']}",
            payload=call_record(params),
        )
    ]


HOOKS = ProviderHooks(verify=twilio.verify, parse=parse, acknowledge=twilio.acknowledge)
