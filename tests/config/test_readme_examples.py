"""Every `curl` example in the README works as printed on the demo data.

The README's shell blocks are parsed (method, URL, headers, body or `--data-binary @file`) and
replayed through Django's test client after `seed_demo`, with `<the printed key>` replaced by the
key the command printed. A newcomer copying them gets the same answers.
"""

from __future__ import annotations

import io
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from tickets.models import Ticket

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
KEY_PLACEHOLDER = "<the printed key>"


@dataclass
class CurlCall:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


def readme_curls() -> list[CurlCall]:
    """The curl commands of the README's ```sh blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    return [
        _parse(words)
        for block in blocks
        for words in map(_words, _commands(block))
        if words and words[0] == "curl"
    ]


def _commands(block: str) -> list[str]:
    """Shell commands of a block: a line ending in a backslash continues, and so does a line
    inside an open single-quoted string (a JSON body written over several lines)."""
    commands, current = [], ""
    for line in block.splitlines():
        current += line + "\n"
        if current.endswith("\\\n"):
            current = current[:-2] + " "
        elif current.count("'") % 2 == 0:
            commands.append(current)
            current = ""
    return commands


def _words(command: str) -> list[str]:
    return shlex.split(command, comments=True)


def _parse(command: list[str]) -> CurlCall:
    call = CurlCall(method="GET", path="")
    args = iter(command[1:])
    for arg in args:
        if arg == "-s":
            continue
        if arg == "-X":
            call.method = next(args)
        elif arg == "-H":
            name, _, value = next(args).partition(":")
            call.headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-binary"):
            data = next(args)
            call.body = (ROOT / data[1:]).read_bytes() if data.startswith("@") else data.encode()
            if call.method == "GET":
                call.method = "POST"
        elif arg.startswith("http"):
            call.path = re.sub(r"^https?://[^/]+", "", arg)
        else:
            raise AssertionError(f"README curl uses an option this test does not know: {arg}")
    return call


def _send(client: Client, call: CurlCall, key: str):
    headers = {k: v.replace(KEY_PLACEHOLDER, key) for k, v in call.headers.items()}
    content_type = headers.pop("Content-Type", "application/octet-stream")
    return client.generic(
        call.method,
        call.path,
        data=call.body or b"",
        content_type=content_type,
        headers=headers,
    )


def test_the_readme_has_curl_examples_for_every_inbound_door():
    paths = {call.path for call in readme_curls()}
    for door in ("email", "chat", "calls", "social"):
        assert f"/api/v1/inbound/{door}/" in paths
    assert "/api/v1/tickets/" in paths


def test_every_readme_curl_example_works_on_demo_data(django_capture_on_commit_callbacks):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    key = re.search(r"(hd_\S+)", out.getvalue()).group(1)
    before = Ticket.objects.count()
    client = Client()
    answers = []
    for call in readme_curls():
        # Work queued after commit (processing the stored payloads) runs as a worker would.
        with django_capture_on_commit_callbacks(execute=True):
            response = _send(client, call, key)
        answers.append((call.method, call.path, response.status_code, response.content[:300]))
    failures = [a for a in answers if not 200 <= a[2] < 300]
    assert not failures, failures
    # The ticket create, the email, the chat message, the missed call and the DM: one ticket each.
    assert Ticket.objects.count() == before + 5
    assert Ticket.objects.filter(subject="Where is my order 1001?").exists()
    # the suggestion example finds the demo help center's article
    [suggested] = [a for a in answers if a[1] == "/api/v1/help/suggest/"]
    assert b"Where is my order?" in suggested[3]
