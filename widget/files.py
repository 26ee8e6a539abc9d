"""Files in a chat conversation, for its visitor: a link per attachment of a public message,
signed (django.core.signing, its own salt) and valid for CHAT_FILE_LINK_MAX_AGE_DAYS.

The widget has no session and an <a href> carries no header, so the link itself is the
permission: it is handed only to the visitor of the conversation (the history and the socket
event, both behind the visitor token) and names one attachment of one public message; an
internal note's file never gets one, and a link stops working when it expires.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from tickets.models import Attachment

SALT = "widget.file"


def file_url(attachment: Attachment) -> str:
    token = signing.dumps({"a": attachment.pk}, salt=SALT, compress=True)
    return reverse("widget:file", args=[token])


def _attachment(token: str) -> Attachment:
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.CHAT_FILE_LINK_MAX_AGE_DAYS * 86400)
        pk = int(data["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404("This file link is not valid or has expired.") from None
    found = Attachment.objects.filter(pk=pk, message__is_public=True).first()
    if found is None:
        raise Http404("This file link is not valid or has expired.")
    return found


@require_GET
def download(request: HttpRequest, token: str) -> HttpResponse:
    attachment = _attachment(token)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
