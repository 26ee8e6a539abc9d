"""A web worker does not hold what only a worker, the schema or a seldom route needs
(issue 18 item 7: memory per web worker). Each module below is imported by the function that
uses it; these tests fail if one comes back to module level on the path every web worker
runs: importing config.wsgi (django.setup(), every app's ready()) and loading the URLconf."""

from __future__ import annotations

import pytest

from .probe import probe

# What each costs a web worker that never uses it, and who uses it instead.
DEFERRED = [
    "httpx",  # the outbox worker's provider sends (tickets.channels.provider_http, meta.graph)
    "rich",  # httpx's command line
    "drf_spectacular.views",  # /api/schema/, /api/docs/ (config.deferred_views)
    "drf_spectacular.generators",
    "drf_spectacular.openapi",  # the schema class is rebased onto it on generation (api.openapi)
    "django.test",  # (what drf_spectacular.openapi pulls in)
    "jinja2",
    "anymail.webhooks.postal",  # /anymail/<esp>/... (config.deferred_views.anymail_webhook)
    "cryptography.hazmat.bindings._rust",  # anymail's Postal webhook signature check
    "nh3",  # HTML bodies (core.text.sanitize_html)
    "html2text",  # HTML bodies (core.text.html_to_text)
    "markdown_it",  # articles (knowledge.render)
    "phonenumbers",  # phone identities (customers.identities.normalize_phone)
]

PROBE = """
import json, sys
import config.wsgi
from django.urls import get_resolver
get_resolver().url_patterns  # the URLconf, as a worker's first request loads it
print(json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def web_worker_modules() -> set[str]:
    return set(probe(PROBE))


@pytest.mark.parametrize("module", DEFERRED)
def test_web_worker_does_not_import(web_worker_modules, module):
    assert "config.urls" in web_worker_modules  # the probe did load the URLconf
    assert module not in web_worker_modules


def test_deferred_modules_load_when_used():
    from core.text import html_to_text, sanitize_html
    from customers.identities import normalize_phone
    from knowledge.render import render_markdown

    assert sanitize_html('<p onclick="x()">Hi</p>') == "<p>Hi</p>"
    assert html_to_text("<p>Hi <b>there</b></p>") == "Hi **there**"
    assert render_markdown("*a*") == "<p><em>a</em></p>\n"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.django_db
def test_anymail_routes_resolve_through_the_deferred_view(client):
    """/anymail/<route> is anymail.urls resolved on first use: a provider's route reaches its
    view (Postmark answers an empty body with 400), an unknown one is a 404."""
    known = client.post("/anymail/postmark/inbound/", "{}", content_type="application/json")
    unknown = client.post("/anymail/nosuch/inbound/", "{}", content_type="application/json")
    assert known.status_code != 404
    assert unknown.status_code == 404


PUBLISH_PROBE = """
import json, sys
import config.wsgi
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
layer = get_channel_layer()
async_to_sync(layer.group_send)("probe", {"type": "probe"})  # as a publish after a write
print(json.dumps({"layer": type(layer).__module__, "modules": sorted(sys.modules)}))
"""


def test_a_live_publish_does_not_load_the_layer_encryption():
    """channels_redis's optional Fernet encryption (cryptography's Rust bindings, ~6 MiB per
    process) is not loaded when no layer encrypts (live/lean.py); the layer still works."""
    seen = probe(PUBLISH_PROBE)
    assert seen["layer"] == "channels_redis.core"  # the real layer, against Redis
    assert "channels_redis.serializers" in seen["modules"]
    assert "cryptography.hazmat.bindings._rust" not in seen["modules"]


def test_a_layer_that_encrypts_keeps_cryptography(settings):
    import sys

    from live.lean import MODULE, skip_unused_layer_encryption

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "x", "CONFIG": {"symmetric_encryption_keys": ["k"]}}
    }
    had, saved = MODULE in sys.modules, sys.modules.pop(MODULE, None)
    try:
        assert skip_unused_layer_encryption() is False
        assert MODULE not in sys.modules
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "x", "CONFIG": {}}}
        assert skip_unused_layer_encryption() is True
        assert sys.modules[MODULE] is None
    finally:
        sys.modules.pop(MODULE, None)
        if had:
            sys.modules[MODULE] = saved
