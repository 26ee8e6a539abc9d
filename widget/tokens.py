"""The visitor token: who a widget visitor is, signed with django.core.signing.

It carries the chat channel, the visitor's random id, the conversation's thread once the
first message opened it, and what the pre-chat form asked (name, email). The frame keeps it in
its localStorage, so the conversation survives page loads; every HTTP call and the socket
connect verify it (a tampered or foreign token is refused before anything is read).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from django.conf import settings
from django.core import signing

SALT = "widget.visitor"


class BadToken(Exception):
    """The token is missing, tampered with, expired or names another channel."""


@dataclass(frozen=True)
class Visitor:
    channel_id: int
    visitor_id: str
    thread_id: int | None = None
    name: str = ""
    email: str = ""

    @property
    def conversation_id(self) -> str:
        """The chat thread key of this visitor's conversation on the channel."""
        return f"widget-{self.visitor_id}"

    def with_changes(self, **changes) -> Visitor:
        return replace(self, **changes)


def new_visitor(channel_id: int) -> Visitor:
    # Hex: the customer's identity keeps it lower-cased (chat.identities), so no case folds.
    return Visitor(channel_id=channel_id, visitor_id=secrets.token_hex(10))


def issue(visitor: Visitor) -> str:
    data = {"c": visitor.channel_id, "v": visitor.visitor_id}
    if visitor.thread_id is not None:
        data["t"] = visitor.thread_id
    if visitor.name:
        data["n"] = visitor.name
    if visitor.email:
        data["m"] = visitor.email
    return signing.dumps(data, salt=SALT, compress=True)


def read(token: str | None) -> Visitor:
    """The visitor a token names; BadToken when it is not one we signed (or too old)."""
    if not token:
        raise BadToken("A visitor token is required.")
    try:
        data = signing.loads(
            token, salt=SALT, max_age=settings.CHAT_VISITOR_TOKEN_MAX_AGE_DAYS * 86400
        )
        return Visitor(
            channel_id=int(data["c"]),
            visitor_id=str(data["v"]),
            thread_id=int(data["t"]) if data.get("t") is not None else None,
            name=str(data.get("n", "")),
            email=str(data.get("m", "")),
        )
    except signing.SignatureExpired as exc:
        raise BadToken("The visitor token has expired.") from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadToken("The visitor token is not valid.") from exc
