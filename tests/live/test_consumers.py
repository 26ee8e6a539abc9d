"""The desk's socket through the real ASGI stack (config.asgi: session auth, the same-origin
check, the consumer) and the Redis channel layer: who may connect, who may subscribe to what,
and an agent's reply posted through the API reaching a subscribed socket."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from config.asgi import application
from tests.conftest import client_for
from tests.factories import ManagerFactory

from .conftest import close_db, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

HOST = "desk.example.test"


def socket(cookie: str | None, origin: str | None = f"https://{HOST}") -> WebsocketCommunicator:
    headers = [(b"host", HOST.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/desk/", headers=headers)


async def _connects(communicator: WebsocketCommunicator) -> bool:
    connected, _ = await communicator.connect(timeout=3)
    await communicator.disconnect()
    return connected


def test_anonymous_integration_and_cross_origin_sockets_are_refused(agent, integration):
    async def scenario(agent_cookie: str, integration_cookie: str) -> list[bool]:
        results = [
            await _connects(socket(None)),  # not signed in
            await _connects(socket(integration_cookie)),  # not staff
            await _connects(socket(agent_cookie, origin="https://evil.example")),
            await _connects(socket(agent_cookie, origin=None)),  # no Origin: not a desk page
            await _connects(socket(agent_cookie)),
        ]
        await close_db()
        return results

    cookies = session_cookie(agent), session_cookie(integration)
    assert asyncio.run(scenario(*cookies)) == [False, False, False, False, True]


def test_an_agent_of_another_team_cannot_subscribe_to_the_ticket(make_ticket, agent, other_agent):
    ticket = make_ticket("Card declined")

    async def scenario(cookie: str) -> list[dict]:
        communicator = socket(cookie)
        assert (await communicator.connect(timeout=3))[0]
        frames = []
        for request in (
            {"type": "subscribe", "ticket": ticket.pk},
            {"type": "subscribe", "ticket": "1; drop"},
            {"type": "hello"},
        ):
            await communicator.send_json_to(request)
            frames.append(await communicator.receive_json_from(timeout=3))
        await communicator.disconnect()
        await close_db()
        return frames

    not_found, bad_id, bad_type = asyncio.run(scenario(session_cookie(other_agent)))
    assert not_found == {
        "type": "error",
        "error": {"status": 404, "code": "not_found", "message": "No such ticket.", "fields": []},
    }
    assert (bad_id["error"]["status"], bad_id["error"]["fields"][0]["field"]) == (400, "ticket")
    assert bad_type["error"]["code"] == "invalid"
    # The owner's team agent and a manager may.
    for user in (agent, ManagerFactory()):

        async def allowed(cookie: str) -> dict:
            communicator = socket(cookie)
            await communicator.connect(timeout=3)
            await communicator.send_json_to({"type": "subscribe", "ticket": ticket.pk})
            frame = await communicator.receive_json_from(timeout=3)
            await communicator.disconnect()
            await close_db()
            return frame

        assert asyncio.run(allowed(session_cookie(user))) == {
            "type": "subscribed",
            "ticket": ticket.pk,
        }


def test_a_reply_posted_through_the_api_reaches_the_subscribed_socket(make_ticket, agent, team):
    ticket = make_ticket("Where is my parcel?")
    api = client_for(agent)

    def reply() -> int:
        response = api.post(
            f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "On its way."}, format="json"
        )
        assert response.status_code == 201, response.content
        return response.json()["id"]

    async def scenario(cookie: str) -> tuple[list[dict], int]:
        communicator = socket(cookie)
        assert (await communicator.connect(timeout=3))[0]
        await communicator.send_json_to({"type": "subscribe", "ticket": ticket.pk})
        await communicator.send_json_to({"type": "subscribe", "queue": True})
        frames = [await communicator.receive_json_from(timeout=3) for _ in range(2)]
        message_id = await sync_to_async(reply)()
        # the reply opens the new ticket: the queue hears it too; it is mailed at once (eager
        # Celery), so its delivery line changes too; order across groups is free
        frames += [await communicator.receive_json_from(timeout=3) for _ in range(3)]
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        await close_db()
        return frames, message_id

    frames, message_id = asyncio.run(scenario(session_cookie(agent)))
    assert frames[:2] == [
        {"type": "subscribed", "ticket": ticket.pk},
        {"type": "subscribed", "queue": [team.pk]},
    ]
    assert sorted(frames[2:], key=lambda f: f["type"]) == [
        {"type": "delivery", "ticket": ticket.pk, "message": message_id},
        {"type": "message", "ticket": ticket.pk, "message": message_id},
        {"type": "queue", "ticket": ticket.pk},
    ]
