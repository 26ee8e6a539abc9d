"""The peer bench's timers and email intake, ours and the peer's, each run in a fresh process
(so the wall time of the whole process is a figure too), in interleaved rounds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from .. import harness
from ..email_intake import generate
from . import project

MESSAGES = 1000
MAIL = project.HOME / "mail"


@contextmanager
def smtp_sink() -> Iterator[int]:
    """aiosmtpd on loopback, accepting and discarding every message (both sides' mail)."""
    port = harness.free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
    )
    time.sleep(1.0)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def ours(*args: str, smtp: int, **env: str) -> tuple[dict, float]:
    """One operation of bench/peer/ours.py in a fresh process: its JSON and the wall time."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "bench.peer.ours", *args],
        cwd=harness.ROOT,
        env=harness.environment(
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp), LOG_LEVEL="ERROR", **env
        ),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if out.returncode:
        raise RuntimeError(f"ours {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


def timer_rounds(runs: int, smtp: int) -> dict[str, list[dict]]:
    """Our SLA sweep and django-helpdesk's escalate_tickets on the same number of due tickets,
    each reset before its run, alternating who goes first."""
    samples: dict[str, list[dict]] = {"ours": [], "peer": []}
    for round_ in range(runs):
        sides = ["ours", "peer"] if round_ % 2 == 0 else ["peer", "ours"]
        for side in sides:
            if side == "ours":
                ours("reset", smtp=smtp)
                result, wall = ours("sweep", smtp=smtp)
            else:
                project.tool(smtp, "reset_escalation")
                result, wall = project.tool(smtp, "escalate")
            samples[side].append({**result, "wall": wall})
        print(
            f"peer bench: timers round {round_ + 1}/{runs}: {samples['ours'][-1]} "
            f"{samples['peer'][-1]}"
        )
    ours("reset", smtp=smtp)
    project.tool(smtp, "reset_escalation")
    return samples


def intake_rounds(runs: int, smtp: int) -> dict[str, list[dict]]:
    """The same 1,000 messages (bench/email_intake.py's mix: new, replies, attachments,
    auto-replies; fresh Message-IDs each round) through our intake and the peer's get_email."""
    samples: dict[str, list[dict]] = {"ours": [], "peer": []}
    media = project.HOME / "ours-media"
    for round_ in range(runs):
        run_id = uuid.uuid4().hex[:12]
        emails = generate(MESSAGES, run_id)
        sides = ["ours", "peer"] if round_ % 2 == 0 else ["peer", "ours"]
        for side in sides:
            directory = MAIL / f"{side}-{run_id}"
            directory.mkdir(parents=True, exist_ok=True)
            for index, raw in enumerate(emails):
                (directory / f"{index:05d}.eml").write_bytes(raw)
            if side == "ours":
                result, wall = ours(
                    "intake",
                    str(directory),
                    smtp=smtp,
                    CELERY_TASK_ALWAYS_EAGER="1",
                    MEDIA_ROOT=str(media),
                )
            else:
                result, wall = project.tool(smtp, "get_email", str(directory))
            samples[side].append({**result, "wall": wall})
            shutil.rmtree(directory, ignore_errors=True)
        print(
            f"peer bench: intake round {round_ + 1}/{runs}: {samples['ours'][-1]} "
            f"{samples['peer'][-1]}"
        )
    return samples


def drop_queued_tasks() -> None:
    """The Celery messages our server and sweeps queued for a worker that this bench does not
    run (notifications, outbox sends): not left in the benchmark broker."""
    import redis

    redis.Redis.from_url(harness.BROKER_URL).delete("celery")
