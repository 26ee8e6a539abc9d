"""The Graph API's side of sending, as Meta documents it, on a real local HTTP server (the
edge of the system): POST /{phone_number_id}/messages (WhatsApp Cloud API) answers
{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]};
POST /me/messages (Messenger / Instagram Send API; JSON, or multipart with `filedata` for an
attachment upload) answers {"recipient_id", "message_id"}.
A wrong Bearer token is Meta's 401 OAuthException (code 190). Queued failures answer in
Meta's error shape {"error": {"message", "type", "code", "error_data", "fbtrace_id"}}.
GET /{media-id} and its download URL serve the WhatsApp media in `media`; POST
/{phone_number_id}/media (multipart: messaging_product, type, file) answers {"id"}."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
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
                raw = self.rfile.read(length)
                if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
                    body = server.form(self.headers["Content-Type"], raw)
                else:
                    body = json.loads(raw or b"{}")
                server.requests.append(Recorded("POST", self.path, dict(self.headers), body))
                status, answer = server.answer(self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                server.requests.append(Recorded("GET", self.path, dict(self.headers), {}))
                status, data, content_type = server.get(self.path, self.headers)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.base = f"{self.root}/v21.0"
        self.media: dict[str, tuple[bytes, str]] = {}  # media id -> (bytes, mime type)
        self.profiles: dict[str, dict] = {}  # PSID / IGSID -> the User Profile API's fields
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
        if path.endswith("/media"):
            return 200, {"id": f"media-up-{n}"}
        if path.endswith("/me/messages"):
            recipient = body["recipient"]  # a JSON field of the multipart attachment upload
            recipient = json.loads(recipient) if isinstance(recipient, str) else recipient
            return 200, {"recipient_id": recipient["id"], "message_id": f"m_sent{n}"}
        to = body["to"]
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.SENT{n}"}],
        }

    @staticmethod
    def form(content_type: str, raw: bytes) -> dict:
        """A multipart upload (POST /{phone_number_id}/media) as {field: text or
        (filename, content type, bytes)}."""
        message = BytesParser(policy=policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: dict = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True)
            filename = part.get_filename()
            fields[name] = (filename, part.get_content_type(), data) if filename else data.decode()
        return fields

    def get(self, path: str, headers) -> tuple[int, bytes, str]:
        """GET /{media-id}: {"messaging_product", "url", "mime_type", "sha256", "file_size",
        "id"}; GET on that url (same Bearer token): the bytes."""
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return (
                401,
                b'{"error": {"message": "Invalid OAuth access token", "code": 190}}',
                "application/json",
            )
        media_id = path.rsplit("/", 1)[-1].split("?", 1)[0]
        if media_id in self.profiles:
            return (
                200,
                json.dumps({**self.profiles[media_id], "id": media_id}).encode(),
                "application/json",
            )
        if media_id not in self.media:
            error = {
                "message": f"Unsupported get request. Object with ID '{media_id}' does not exist",
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
            }
            return 400, json.dumps({"error": error}).encode(), "application/json"
        data, mime = self.media[media_id]
        if path.startswith("/media/"):
            return 200, data, mime
        info = {
            "messaging_product": "whatsapp",
            "url": f"{self.root}/media/{media_id}",
            "mime_type": mime,
            "sha256": hashlib.sha256(data).hexdigest(),
            "file_size": len(data),
            "id": media_id,
        }
        return 200, json.dumps(info).encode(), "application/json"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
