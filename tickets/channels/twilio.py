"""Twilio, shared by the SMS channel (sms.py) and the phone channel's voice status callbacks
(twilio_voice.py): the X-Twilio-Signature check, the form body, the empty TwiML answer, the
"sms" outbox transport (the Messages REST API) and fetching a message's media.

Twilio signs each webhook: base64(HMAC-SHA1(auth token, URL + every POST parameter's name and
value, sorted by name)), the URL being the one Twilio requested (scheme, host, port, path and
query exactly). Behind a proxy that is not the URL Django sees: the channel's `public_url`
setting (the URL configured in Twilio), else TWILIO_WEBHOOK_BASE_URL + the path, else the
request's own absolute URL (honouring SECURE_PROXY_SSL_HEADER / USE_X_FORWARDED_HOST).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.urls import reverse

from outbox.models import OutboxMessage
from outbox.transports import Sent

from ..attachments import AttachmentInput, attachment_problem
from .models import Channel
from .provider_http import (
    ProviderPermanent,
    json_or_empty,
    provider_error,
    provider_request,
)
from .providers import PayloadRejected, SignatureRejected

PROVIDER = "Twilio"
SIGNATURE_HEADER = "X-Twilio-Signature"
BODY_LIMIT = 1600  # characters of one message's Body (Twilio's limit)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
TWILIO_SETTINGS = frozenset({"account_sid", "auth_token", "public_url"})


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's signature of a form POST to `url` (each distinct value of a repeated name
    once, in order, as Twilio's own validator does)."""
    names = sorted({name for name, _ in params})
    signed = url + "".join(
        name + value for name in names for value in sorted({v for n, v in params if n == name})
    )
    mac = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def form_params(request) -> list[tuple[str, str]]:
    """The POST parameters exactly as sent (the door gives adapters the raw bytes)."""
    try:
        return parse_qsl(request.body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise PayloadRejected("Not a Twilio form body.") from exc


def form_dict(request) -> dict[str, str]:
    return dict(form_params(request))


def hook_path(channel: Channel) -> str:
    return reverse("provider-hook", kwargs={"kind": channel.kind, "channel_id": channel.pk})


def public_hook_url(channel: Channel) -> str:
    """The URL Twilio is given for this channel (status callbacks); "" when unknown."""
    if channel.settings.get("public_url"):
        return channel.settings["public_url"]
    if settings.TWILIO_WEBHOOK_BASE_URL:
        return settings.TWILIO_WEBHOOK_BASE_URL + hook_path(channel)
    return ""


def _with_and_without_port(url: str) -> set[str]:
    """Twilio may sign with or without the scheme's default port: accept both spellings."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    bare = urlunsplit(parts._replace(netloc=host))
    ported = urlunsplit(parts._replace(netloc=f"{host}:{parts.port or default}"))
    return {url, bare, ported} if parts.port in (None, default) else {url}


def _signed_urls(channel: Channel, request) -> set[str]:
    if channel.settings.get("public_url"):
        base = channel.settings["public_url"]
    elif settings.TWILIO_WEBHOOK_BASE_URL:
        base = settings.TWILIO_WEBHOOK_BASE_URL + request.get_full_path()
    else:
        base = request.build_absolute_uri()
    return _with_and_without_port(base)


def verify(channel: Channel, request) -> None:
    """Missing signature 401; a wrong one, or a channel without an auth token, 403."""
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not given:
        raise SignatureRejected(f"No {SIGNATURE_HEADER} header.", status=401)
    token = channel.settings.get("auth_token", "")
    if not token:
        raise SignatureRejected("This channel has no Twilio auth token to check signatures.")
    params = form_params(request)
    for url in _signed_urls(channel, request):
        if hmac.compare_digest(given.encode(), signature(token, url, params).encode()):
            return
    raise SignatureRejected(f"The {SIGNATURE_HEADER} header does not match the request.")


def clean_public_url(values: dict, clean: dict, errors: dict) -> None:
    """A channel's settings cleaner: `public_url` is the webhook URL as configured in Twilio."""
    url = str(values.get("public_url") or "")
    if url and urlsplit(url).scheme not in ("https", "http"):
        errors["settings.public_url"] = ["The webhook URL as configured in Twilio (https://...)."]


def acknowledge(channel: Channel, items: list) -> HttpResponse:
    """Twilio reads TwiML back: an empty <Response/> does nothing more (no auto-reply)."""
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def _credentials(channel_id: int, kind: str) -> tuple[Channel, str, str]:
    channel = Channel.objects.filter(pk=channel_id, kind=kind, is_active=True).first()
    sid = channel.settings.get("account_sid", "") if channel else ""
    token = channel.settings.get("auth_token", "") if channel else ""
    if channel is None or not sid or not token:
        raise ProviderPermanent(f"Twilio channel {channel_id} is gone, inactive or not set up.")
    return channel, sid, token


def _send_one(channel: Channel, sid: str, token: str, to: str, body: str) -> str:
    url = f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/Messages.json"
    form = {"To": to, "From": channel.settings["number"], "Body": body}
    callback = public_hook_url(channel)
    if callback:
        form["StatusCallback"] = callback
    response = provider_request(PROVIDER, "POST", url, data=form, auth=(sid, token))
    answer = json_or_empty(response)
    if response.status_code in (200, 201) and answer.get("sid"):
        return answer["sid"]
    retry_after = response.headers.get("Retry-After", "")
    raise provider_error(
        f"{PROVIDER} Messages",
        response.status_code if response.status_code >= 300 else 502,
        f"{answer.get('code', '')} {answer.get('message', response.reason_phrase)}".strip(),
        retry_after=int(retry_after) if retry_after.isdigit() else None,
    )


def send_sms(row: OutboxMessage) -> Sent:
    """The "sms" transport: POST /2010-04-01/Accounts/{sid}/Messages.json (basic auth sid and
    token; To, From, Body, and StatusCallback when the public URL is known). A text longer
    than 1600 characters goes as several messages; the provider id is the first one's SM sid
    (what its status callbacks name)."""
    payload = row.payload
    channel, sid, token = _credentials(payload["channel_id"], "sms")
    text = payload.get("body", "")
    parts = [text[i : i + BODY_LIMIT] for i in range(0, len(text), BODY_LIMIT)] or [""]
    sids = [_send_one(channel, sid, token, payload["to"], part) for part in parts]
    return Sent(provider_id=sids[0], status=201)


def message_media(channel: Channel, params: dict) -> tuple[list[AttachmentInput], list[dict]]:
    """The message's media (NumMedia, MediaUrl0..., MediaContentType0...), fetched with the
    account's credentials; a URL outside TWILIO_API_BASE is recorded, not fetched."""
    files, withheld = [], []
    count = int(params["NumMedia"]) if str(params.get("NumMedia", "")).isdigit() else 0
    for index in range(min(count, 10)):
        url = params.get(f"MediaUrl{index}", "")
        content_type = params.get(f"MediaContentType{index}", "")
        extension = content_type.rsplit("/", 1)[-1] if "/" in content_type else "bin"
        filename = f"media-{params.get('MessageSid', 'sms')}-{index}.{extension}"
        if not url.startswith(settings.TWILIO_API_BASE + "/"):
            withheld.append(_withheld(filename, content_type, 0, "external", url))
            continue
        auth = (channel.settings.get("account_sid", ""), channel.settings.get("auth_token", ""))
        response = provider_request(PROVIDER, "GET", url, auth=auth, follow_redirects=True)
        if response.status_code != 200:
            error = provider_error(f"{PROVIDER} media", response.status_code, "not fetched")
            if isinstance(error, ProviderPermanent):
                withheld.append(_withheld(filename, content_type, 0, "unavailable", url))
                continue
            raise error
        item = AttachmentInput(filename, ContentFile(response.content, filename), content_type)
        problem = attachment_problem(item)
        if problem is None:
            files.append(item)
        else:
            withheld.append(_withheld(filename, content_type, item.size, problem[0], url))
    return files, withheld


def _withheld(filename: str, content_type: str, size: int, reason: str, url: str) -> dict:
    return {
        "filename": filename,
        "content_type": content_type,
        "size": size,
        "reason": reason,
        "detail": "",
        "access_type": "",
        "url": url,
    }
