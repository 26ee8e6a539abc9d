"""The widget's pages: the loader script a shop puts on its site (/chat/widget.js) and the
frame it opens (/chat/frame/<channel id>/), which may be framed only by the channel's allowed
sites (CSP frame-ancestors)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from . import selectors
from .strings import direction, frame_strings, widget_language

LOADER = Path(__file__).resolve().parent / "static" / "widget" / "widget.js"


@cache
def _loader() -> bytes:
    return LOADER.read_bytes()


@require_GET
def loader(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_loader(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


def frame_ancestors(channel) -> str:
    """Who may frame the chat: the channel's allowed sites; any site when it lists none."""
    origins = channel.settings.get("allowed_origins") or []
    return "frame-ancestors " + (" ".join(["'self'", *origins]) if origins else "*")


@require_GET
@xframe_options_exempt  # framing is decided by CSP frame-ancestors instead
def frame(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = selectors.chat_channel(channel_id)
    if channel is None:
        raise Http404("No such chat.")
    asked = request.GET.get("lang") or request.headers.get("Accept-Language", "")
    language = widget_language(asked)
    with translation.override(language):
        response = render(
            request,
            "widget/frame.html",
            {
                "channel": channel,
                "language": language,
                "direction": direction(language),
                "boot": {
                    "channel": channel.pk,
                    "lang": language,
                    "strings": frame_strings(),
                    "config": selectors.widget_config(channel),
                },
            },
        )
    response["Content-Security-Policy"] = frame_ancestors(channel)
    response["Cache-Control"] = "no-store"
    return response
