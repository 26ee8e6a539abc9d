"""The visitor token is verified on every call: tampered, foreign or expired tokens are 403
`bad_token` and change nothing."""

from __future__ import annotations

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from tests.conftest import assert_error
from tests.widget.conftest import Visitor
from tickets.channels.models import InboundMessage
from tickets.models import Message
from widget import tokens

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("post", "messages/", {"text": "hi"}),
    ("post", "typing/", {}),
    ("post", "transcript/", {"email": "kim@example.com"}),
    ("get", "history/", None),
    ("get", "suggest/", None),
]


def _call(visitor, method, path, data):
    return visitor.post(path, data) if method == "post" else visitor.get(path)


def _tampered(token: str) -> str:
    value, signature = token.rsplit(":", 1)
    return f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(("method", "path", "data"), ENDPOINTS)
def test_a_tampered_token_is_refused(visitor, online, method, path, data):
    visitor.start()
    visitor.say("Hello")
    visitor.token = _tampered(visitor.token)
    assert_error(_call(visitor, method, path, data), 403, "bad_token")
    assert Message.objects.count() == 1


@pytest.mark.parametrize(("method", "path", "data"), ENDPOINTS)
def test_no_token_is_refused(visitor, method, path, data):
    assert_error(_call(visitor, method, path, data), 403, "bad_token")


def test_a_token_forged_with_another_key_is_refused(visitor, widget_channel, online):
    forged = signing.dumps(
        {"c": widget_channel.pk, "v": "someone"}, salt=tokens.SALT, key="not-our-secret"
    )
    visitor.token = forged
    assert_error(visitor.say("hi"), 403, "bad_token")
    assert InboundMessage.objects.count() == 0


def test_another_visitors_conversation_cannot_be_read(visitor, widget_channel, online):
    visitor.start()
    visitor.say("My address is secret street 1")
    thread_id = tokens.read(visitor.token).thread_id
    intruder = Visitor(widget_channel)
    intruder.start()
    # Even a token we signed, naming the victim's thread, is refused: wrong visitor.
    mine = tokens.read(intruder.token)
    intruder.token = tokens.issue(mine.with_changes(thread_id=thread_id))
    assert_error(intruder.get("history/"), 403, "bad_token")


def test_a_token_of_another_channel_is_refused_by_the_session(visitor, widget_channel, team):
    from tests.tickets.channels.conftest import make_channel

    other = make_channel("chat", "Other shop", widget_id="other")
    visitor.start()
    stolen = visitor.token
    elsewhere = Visitor(other)
    elsewhere.token = stolen
    assert_error(elsewhere.start(), 403, "bad_token")


def test_an_expired_token_is_refused(visitor, settings, online):
    settings.CHAT_VISITOR_TOKEN_MAX_AGE_DAYS = 1
    visitor.start()
    with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):
        assert_error(visitor.say("hi"), 403, "bad_token")
