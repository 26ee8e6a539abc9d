"""The Graph API's side of sending, as Meta documents it, on a real local HTTP server (the
edge of the system): POST /{phone_number_id}/messages (WhatsApp Cloud API) answers
{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]};
POST /me/messages (Messenger / Instagram Send API) answers {"recipient_id", "message_id"}.
A wrong Bearer token is Meta's 401 OAuthException (code 190). Queued failures answer in
Meta's error shape {"error": {"message", "type", "code", "error_data", "fbtrace_id"}}."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    json: dict


class GraphServer:
    def __init__(self, tokens: set[str]):
        self.tokens = tokens
        self.requests: list[Recorded] = []
        self.failures: list[tuple[int, dict]] = []  # (status, error object), answered first
        self._ids = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(Recorded("POST", self.path, dict(self.headers), body))
                status, answer = server.answer(self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, headers, body: dict) -> tuple[int, dict]:
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 401, {
                "error": {
                    "message": "Invalid OAuth access token - Cannot parse access token",
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": "AbCdEf",
                }
            }
        if self.failures:
            status, error = self.failures.pop(0)
            return status, {"error": {**error, "fbtrace_id": "AbCdEf"}}
        n = next(self._ids)
        if path.endswith("/me/messages"):
            return 200, {"recipient_id": body["recipient"]["id"], "message_id": f"m_sent{n}"}
        to = body["to"]
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.SENT{n}"}],
        }

    def close(self):
        self.server.shutdown()
        self.server.server_close()
