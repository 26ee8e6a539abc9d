"""Meta's webhook door rules, shared by WhatsApp, Messenger and Instagram.

- Subscription handshake (GET): Meta sends hub.mode=subscribe, hub.verify_token (the token
  typed into the app dashboard) and hub.challenge; we answer the challenge as text/plain when
  the token is the channel's `verify_token`, else 403.
- Every POST carries X-Hub-Signature-256: "sha256=" + the hex HMAC-SHA256 of the exact raw
  body keyed with the app secret (the channel's `app_secret`). Missing: 401; wrong: 403;
  compared in constant time, before the body is read as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse

from ..providers import PayloadRejected, SignatureRejected

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import Channel

SIGNATURE_HEADER = "X-Hub-Signature-256"


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends for `body` (tests and tools sign with it too)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(channel: Channel, request: HttpRequest) -> None:
    """Raise SignatureRejected unless the body is signed with the channel's app secret."""
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not given:
        raise SignatureRejected(f"{SIGNATURE_HEADER} is missing.", status=401)
    secret = channel.settings.get("app_secret", "")
    if not secret or not given.startswith("sha256="):
        raise SignatureRejected(f"{SIGNATURE_HEADER} does not match.", status=403)
    if not hmac.compare_digest(sign(secret, request.body).encode(), given.strip().encode()):
        raise SignatureRejected(f"{SIGNATURE_HEADER} does not match.", status=403)


def handshake(channel: Channel, request: HttpRequest) -> HttpResponse:
    """Meta's verification request: echo hub.challenge when the verify token is right."""
    expected = channel.settings.get("verify_token", "")
    token = request.GET.get("hub.verify_token", "")
    if (
        request.GET.get("hub.mode") != "subscribe"
        or not expected
        or not hmac.compare_digest(token.encode(), expected.encode())
    ):
        return HttpResponse(
            "Verification token does not match.", status=403, content_type="text/plain"
        )
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


def json_body(request: HttpRequest, expected_object: str) -> dict[str, Any]:
    """The verified body as JSON, refused unless it is an object of `expected_object`."""
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadRejected("The body is not JSON.") from exc
    if not isinstance(body, dict) or body.get("object") != expected_object:
        raise PayloadRejected(f'Expected a webhook of object "{expected_object}".')
    if not isinstance(body.get("entry"), list):
        raise PayloadRejected('The webhook has no "entry" list.')
    return body
