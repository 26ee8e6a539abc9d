"""The visitor's socket, ws/chat/?token=<visitor token>: it joins the conversation's visitor
group (live.groups.visitor) and forwards what is published there (agents' replies, their
typing); the visitor's {"type": "typing"} goes to the agents on the ticket, {"type": "ping"}
keeps the presence the chat transport reads. A bad token is refused before the handshake."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from live import groups

from . import presence, selectors, services
from .tokens import BadToken, Visitor, read

TYPING_EVERY_SECONDS = 1.0  # the frame sends one per 2 s; more than one a second is dropped


def _verify(token: str) -> tuple[Visitor, int] | None:
    try:
        visitor = read(token)
        services.visitor_channel(visitor)
        thread = selectors.visitor_thread(visitor)
    except BadToken:
        return None
    return (visitor, thread.pk) if thread is not None else None


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    visitor: Visitor | None = None
    thread_id: int | None = None
    group: str | None = None
    typed_at = 0.0

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        found = await database_sync_to_async(_verify)(query.get("token", [""])[0])
        if found is None:
            await self.close(code=4403)
            return
        self.visitor, self.thread_id = found
        self.group = groups.visitor(self.thread_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await sync_to_async(presence.arrive)(self.thread_id, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        # Presence first: should the layer fail here, the chat transport must not go on
        # counting replies as delivered to a socket that is gone.
        try:
            await sync_to_async(presence.leave)(self.thread_id, self.channel_name)
        finally:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or self.visitor is None:
            return
        await sync_to_async(presence.arrive)(self.thread_id, self.channel_name)
        if content.get("type") == "typing":
            now = time.monotonic()
            if now - self.typed_at >= TYPING_EVERY_SECONDS:
                self.typed_at = now
                await database_sync_to_async(services.visitor_typing)(visitor=self.visitor)

    async def live_event(self, message: dict) -> None:
        await self.send_json(message["event"])
