"""Local HTTP servers standing in for the Telegram Bot API and Twilio's REST API: the edge of the
system. Each follows its provider's documented contract (paths, auth, the answer's shape and
error shape) and records every request, so a test checks the URL, the auth and the body.

Telegram (core.telegram.org/bots/api): POST /bot<token>/<method>, JSON or multipart; answers
{"ok": true, "result": ...} or {"ok": false, "error_code", "description", "parameters"}; a wrong
token is 401 Unauthorized; files download from GET /file/bot<token>/<file_path>.
Twilio (twilio.com/docs/messaging/api/message-resource): POST
/2010-04-01/Accounts/<AccountSid>/Messages.json, HTTP basic auth (sid, token), form To, From,
Body; answers 201 with the Message resource (sid "SM..."), errors as {"code", "message",
"more_info", "status"}; media downloads with the same basic auth.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes
    json: dict | None = None
    form: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)  # field name -> (filename, content type, bytes)


def _multipart(content_type: str, body: bytes) -> tuple[dict, dict]:
    message = BytesParser(policy=policy.default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    form, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            files[name] = (part.get_filename(), part.get_content_type(), part.get_content())
        else:
            form[name] = part.get_content()
    return form, files


class FakeProvider:
    """A ThreadingHTTPServer on 127.0.0.1; subclasses answer in `respond`."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.failures: list[tuple[int, dict, dict]] = []  # (status, body, headers) to answer next
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, dict(self.headers), body)
                content_type = self.headers.get("Content-Type", "")
                if content_type.startswith("application/json"):
                    recorded.json = json.loads(body)
                elif content_type.startswith("application/x-www-form-urlencoded"):
                    recorded.form = dict(parse_qsl(body.decode(), keep_blank_values=True))
                elif content_type.startswith("multipart/form-data"):
                    recorded.form, recorded.files = _multipart(content_type, body)
                fake.requests.append(recorded)
                if fake.failures and self.command == "POST":
                    status, answer, headers = fake.failures.pop(0)
                else:
                    status, answer, headers = fake.respond(recorded)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                kind = (
                    "application/octet-stream" if isinstance(answer, bytes) else "application/json"
                )
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail_next(self, status: int, body: dict, headers: dict | None = None) -> None:
        self.failures.append((status, body, headers or {}))

    def respond(self, request: Recorded) -> tuple[int, dict | bytes, dict]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeTelegram(FakeProvider):
    def __init__(self, token: str):
        self.token = token
        self.files: dict[str, bytes] = {}  # file_id -> content
        self.ids = itertools.count(500)
        super().__init__()

    def _message(self, chat_id, **extra) -> dict:
        return {
            "message_id": next(self.ids),
            "chat": {"id": int(chat_id), "type": "private"},
            "date": 1700000000,
            **extra,
        }

    def respond(self, request: Recorded):
        path = urlsplit(request.path).path
        if path.startswith("/file/"):
            token, _, file_path = path[len("/file/bot") :].partition("/")
            file_id = file_path.rsplit("/", 1)[-1]
            if token != self.token or file_id not in self.files:
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}
            return 200, self.files[file_id], {}
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        data = request.json if request.json is not None else request.form
        if method == "sendMessage":
            return (
                200,
                {"ok": True, "result": self._message(data["chat_id"], text=data["text"])},
                {},
            )
        if method == "sendDocument":
            name = request.files["document"][0]
            result = self._message(data["chat_id"], document={"file_name": name})
            return 200, {"ok": True, "result": result}, {}
        if method == "sendMediaGroup":
            media = json.loads(data["media"])
            return 200, {"ok": True, "result": [self._message(data["chat_id"]) for _ in media]}, {}
        if method == "setWebhook":
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}, {}
        if method == "getFile":
            file_id = data["file_id"]
            if file_id not in self.files:
                return (
                    400,
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                    {},
                )
            result = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
            return 200, {"ok": True, "result": result}, {}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}


class FakeTwilio(FakeProvider):
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.media: dict[str, tuple[str, bytes]] = {}  # path -> (content type, bytes)
        self.ids = itertools.count(1)
        super().__init__()

    def _authorized(self, request: Recorded) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def respond(self, request: Recorded):
        path = urlsplit(request.path).path
        if not self._authorized(request):
            return (
                401,
                {
                    "code": 20003,
                    "message": "Authenticate",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": 401,
                },
                {},
            )
        if request.method == "GET" and path in self.media:
            return 200, self.media[path][1], {}
        if path == f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            sid = f"SM{next(self.ids):032x}"
            form = request.form
            return (
                201,
                {
                    "sid": sid,
                    "account_sid": self.account_sid,
                    "status": "queued",
                    "to": form["To"],
                    "from": form["From"],
                    "body": form["Body"],
                    "num_segments": "1",
                    "direction": "outbound-api",
                },
                {},
            )
        return (
            404,
            {"code": 20404, "message": "The requested resource was not found", "status": 404},
            {},
        )
