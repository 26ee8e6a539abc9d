"""The desk's socket (ws/desk/): signed-in agents and managers only, from the desk's own origin
(live/routing.py wraps it in the session auth and the allowed-hosts origin check).

The client asks for what it wants to hear:
  {"type": "subscribe", "ticket": 42}   the ticket page (the desk's visibility rule decides)
  {"type": "subscribe", "queue": true}  the queue of every team the agent works in
Each is answered {"type": "subscribed", ...} or {"type": "error", "error": {...}} (the API's
error shape); then the socket forwards the groups' events (live.publish) as they come.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import groups, selectors

# A desk page listens to one ticket and one queue; a few more cover tabs sharing a socket.
MAX_SUBSCRIPTIONS = 20
# Close codes (4000-4999 are the application's): not signed in as staff.
CLOSE_FORBIDDEN = 4403


def error_frame(status: int, code: str, message: str, field: str | None = None) -> dict:
    fields = [{"field": field, "message": message}] if field else []
    return {
        "type": "error",
        "error": {"status": status, "code": code, "message": message, "fields": fields},
    }


class DeskConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.joined: set[str] = set()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_agent:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = set()

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or content.get("type") != "subscribe":
            await self.send_json(
                error_frame(400, "invalid", 'Send {"type": "subscribe", ...}.', "type")
            )
            return
        if content.get("queue") is True:
            await self._subscribe_queue()
        elif "ticket" in content:
            await self._subscribe_ticket(content["ticket"])
        else:
            await self.send_json(
                error_frame(400, "invalid", "Subscribe to a ticket or to the queue.", "ticket")
            )

    async def _subscribe_ticket(self, ticket_id) -> None:
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or ticket_id < 1:
            await self.send_json(
                error_frame(400, "invalid", "A ticket id is a positive integer.", "ticket")
            )
            return
        if not await database_sync_to_async(selectors.ticket_visible)(self.user, ticket_id):
            await self.send_json(error_frame(404, "not_found", "No such ticket."))
            return
        if await self._join([groups.ticket(ticket_id)]):
            await self.send_json({"type": "subscribed", "ticket": ticket_id})

    async def _subscribe_queue(self) -> None:
        teams = await database_sync_to_async(selectors.queue_team_ids)(self.user)
        if await self._join([groups.team_queue(team) for team in teams]):
            await self.send_json({"type": "subscribed", "queue": teams})

    async def _join(self, wanted: list[str]) -> bool:
        new = [group for group in wanted if group not in self.joined]
        if len(self.joined) + len(new) > MAX_SUBSCRIPTIONS:
            await self.send_json(
                error_frame(400, "too_many", f"At most {MAX_SUBSCRIPTIONS} subscriptions.")
            )
            return False
        for group in new:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)
        return True

    async def live_event(self, message: dict) -> None:
        """live.publish's {"type": "live.event", "event": {...}}: the event goes to the socket."""
        await self.send_json(message["event"])
