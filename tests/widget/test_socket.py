"""The visitor's socket ws/chat/ (Channels, on the Redis channel layer): the token is checked
at connect, presence follows the socket, agents' events reach it, the visitor's typing reaches
the agents' ticket group; and the desk's typing endpoint reaches the visitor."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from live import groups
from tests.desk.conftest import customer, desk_client, make_ticket, tier  # noqa: F401
from tickets.models import Ticket
from widget import presence, tokens

pytestmark = pytest.mark.django_db(transaction=True)


def _chatting(visitor) -> tuple[Ticket, int]:
    visitor.start()
    visitor.say("Is the blue one in stock?")
    return Ticket.objects.get(), tokens.read(visitor.token).thread_id


def test_socket_joins_the_conversation_and_carries_typing_both_ways(visitor, online):
    ticket, thread_id = _chatting(visitor)
    layer = get_channel_layer()

    async def scenario():
        agents = await layer.new_channel()
        await layer.group_add(groups.ticket(ticket.pk), agents)
        socket = WebsocketCommunicator(application, f"/ws/chat/?token={visitor.token}")
        connected, _ = await socket.connect()
        assert connected
        assert await sync_to_async(presence.connected)(thread_id)

        await layer.group_send(
            groups.visitor(thread_id),
            {"type": "live.event", "event": {"type": "typing", "from": "agent"}},
        )
        assert await socket.receive_json_from(timeout=2) == {"type": "typing", "from": "agent"}

        await socket.send_json_to({"type": "typing"})
        heard = await layer.receive(agents)
        assert heard["event"] == {"type": "typing", "from": "visitor", "ticket": ticket.pk}

        await socket.disconnect()
        assert not await sync_to_async(presence.connected)(thread_id)

    async_to_sync(scenario)()


@pytest.mark.parametrize("token", ["", "garbage", "tampered"])
def test_socket_with_a_bad_token_is_refused(visitor, online, token):
    _, thread_id = _chatting(visitor)
    if token == "tampered":
        token = visitor.token[:-2] + ("AA" if not visitor.token.endswith("AA") else "BB")

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/chat/?token={token}")
        connected, _ = await socket.connect()
        assert not connected
        await socket.disconnect()

    async_to_sync(scenario)()
    assert not presence.connected(thread_id)


def test_desk_typing_reaches_the_visitor(visitor, online, agent):
    ticket, thread_id = _chatting(visitor)
    layer = get_channel_layer()
    socket = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(groups.visitor(thread_id), socket)

    response = desk_client(agent).post(f"/desk/tickets/{ticket.pk}/typing/")

    assert response.json() == {"sent": True}
    received = async_to_sync(layer.receive)(socket)
    assert received["event"] == {"type": "typing", "from": "agent"}


def test_desk_typing_on_a_ticket_without_a_chat_sends_nothing(make_ticket, agent, other_agent):  # noqa: F811
    ticket = make_ticket()
    assert desk_client(agent).post(f"/desk/tickets/{ticket.pk}/typing/").json() == {"sent": False}
    assert desk_client(agent).get(f"/desk/tickets/{ticket.pk}/typing/").status_code == 405
    assert desk_client(other_agent).post(f"/desk/tickets/{ticket.pk}/typing/").status_code == 404
