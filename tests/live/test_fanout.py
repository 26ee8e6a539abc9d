"""Several web processes share the fan-out: a socket held by process A hears of a reply that
process B handled. Two real uvicorn processes (config.asgi), the one Redis channel layer, a
websocket client (the websockets library) on A, the agent's reply POSTed to B's API."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from websockets.sync.client import connect

from accounts.services import api_token_create

from .conftest import session_cookie
from .servers import uvicorn

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_reply_handled_by_one_process_reaches_a_socket_on_another(make_ticket, agent, team):
    ticket = make_ticket("Where is my parcel?")
    _, token = api_token_create(user=agent, name="fan-out")
    cookie = session_cookie(agent)
    with uvicorn() as a, uvicorn() as b:
        ws_url = a.replace("http://", "ws://") + "/ws/desk/"
        with connect(ws_url, origin=a, additional_headers={"Cookie": cookie}) as ws:
            ws.send(json.dumps({"type": "subscribe", "ticket": ticket.pk}))
            assert json.loads(ws.recv(timeout=5)) == {"type": "subscribed", "ticket": ticket.pk}
            started = time.monotonic()
            response = httpx.post(
                f"{b}/api/v1/tickets/{ticket.pk}/messages/",
                json={"body": "On its way."},
                headers={"Authorization": f"Token {token}"},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            event = json.loads(ws.recv(timeout=2))
            elapsed = time.monotonic() - started
    assert event == {"type": "message", "ticket": ticket.pk, "message": response.json()["id"]}
    assert elapsed < 2, elapsed
