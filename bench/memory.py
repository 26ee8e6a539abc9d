"""`python -m bench memory`: the memory of our web worker and Celery worker (issue 18 item 7).

Our server under the peer bench's gunicorn shape (config.wsgi, 2 sync workers, DEBUG off) and
the bare Django + DRF reference (bench/bare/) side by side, the peer bench's database seed
(BENCH_PEER_TICKETS open tickets, default 10,000; `bench/peer/ours.py seed`) and its HTTP
loads in the same order: per round the ticket list's first page and the ping GET (c=1), then
ping POSTs and ticket creates at c=1, 8 and 32. Then, per web worker: peak RSS (VmHWM), RSS
now (VmRSS), and from /proc/PID/smaps_rollup the proportional (PSS) and private (USS) memory,
the part that is the worker's own once pages shared with the master and the other worker are
split out. The same-run reference is the bare server's workers after the same number of
requests; the ratio ours/bare is the figure to compare between runs.

Then a Celery worker (`celery -A config worker`, the io queues, prefork, concurrency 1)
processes BENCH_MEMORY_INTAKE emails (default 300, bench/email_intake.py's mix) that our
intake stored and queued (mail it sends goes to an aiosmtpd sink), and its main process and
pool child are read the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from . import harness
from .bare import server as bare_server
from .email_intake import generate
from .peer import jobs, web

TICKETS = int(os.environ.get("BENCH_PEER_TICKETS", "10000"))
WORKERS = 2
CONCURRENCY = (1, 8, 32)
INTAKE_MESSAGES = int(os.environ.get("BENCH_MEMORY_INTAKE", "300"))


def process_memory(pid: int) -> dict[str, float]:
    """VmHWM and VmRSS from /proc/PID/status, PSS and USS (private clean + dirty) from
    /proc/PID/smaps_rollup, in MiB."""
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            status[key] = int(value.split()[0]) / 1024
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        rollup[key] = int(value.split()[0]) / 1024
    return {
        "hwm": status["VmHWM"],
        "rss": status["VmRSS"],
        "pss": rollup["Pss"],
        "uss": rollup["Private_Clean"] + rollup["Private_Dirty"],
    }


def _loads(ours: str, bare: str, token: str, agent_token: str, runs: int, per_client: int):
    lists = {
        "bare_get": (bare, web.get("/noop/"), 20),
        "ping_get": (ours, web.get("/api/v1/ping/", agent_token), 20),
        "ours_list": (ours, web.get("/api/v1/tickets/", agent_token), 20),
    }
    servers = {
        "bare": (bare, web.bare_post()),
        "ping": (ours, web.ours_ping(token)),
        "ours": (ours, web.ours_create(token)),
    }
    web.creates({"ours": servers["ours"], "bare": servers["bare"]}, 8, 10)({})  # warm up
    for round_ in range(runs):
        for name, (url, factory, total) in lists.items():
            web.measure(url, factory, total, 1, name)
        for concurrency in CONCURRENCY:
            web.creates(servers, concurrency, per_client)({})
        print(f"memory bench: web round {round_ + 1}/{runs} done", flush=True)


def _row(name: str, figures: dict[str, float], reference: dict[str, float] | None) -> dict:
    row = {"benchmark": name, "value": figures["hwm"], "unit": "MiB peak RSS", **figures}
    if reference:
        row["reference"] = (
            f"bare {reference['hwm']:.1f} MiB (RSS {figures['rss']:.1f}, "
            f"PSS {figures['pss']:.1f}, USS {figures['uss']:.1f})"
        )
        row["ratio"] = figures["hwm"] / reference["hwm"]
    else:
        row["reference"] = (
            f"RSS {figures['rss']:.1f}, PSS {figures['pss']:.1f}, USS {figures['uss']:.1f} MiB"
        )
    return row


def _worst(pids: list[int]) -> dict[str, float]:
    """The worker with the highest peak (the figure the peer bench reports)."""
    return max((process_memory(pid) for pid in pids), key=lambda figures: figures["hwm"])


def _queue_intake(smtp: int) -> None:
    """INTAKE_MESSAGES emails (bench/email_intake.py's mix) stored by our intake, their
    processing queued for a worker (not eager): the worker's load."""
    run_id = uuid.uuid4().hex[:12]
    directory = jobs.MAIL / f"memory-{run_id}"
    directory.mkdir(parents=True, exist_ok=True)
    for index, raw in enumerate(generate(INTAKE_MESSAGES, run_id)):
        (directory / f"{index:05d}.eml").write_bytes(raw)
    try:
        jobs.ours("intake", str(directory), smtp=smtp, MEDIA_ROOT=str(jobs.MAIL / "media"))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _waiting(after_id: int) -> int:
    rows = harness.sql(
        "SELECT count(*) FROM tickets_inboundmessage WHERE state = 'received' AND id > %s",
        (after_id,),
    )
    return rows[0][0]


def _celery_worker(smtp: int) -> list[dict]:
    """A worker on the io queues (prefork, one child) processes the queued intake; its main
    process and pool child once nothing is left waiting."""
    before = harness.sql("SELECT coalesce(max(id), 0) FROM tickets_inboundmessage")[0][0]
    _queue_intake(smtp)
    waiting = _waiting(before)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "intake,outbound,default",
            "-n",
            f"bench-memory-{os.getpid()}@%h",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=harness.ROOT,
        env=harness.environment(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp)),
    )
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and _waiting(before):
            time.sleep(2)
        left = _waiting(before)
        time.sleep(2)  # the last task's after-commit work
        children = harness.Server("", process).worker_pids()
        main = _row("celery worker main process", process_memory(process.pid), None)
        main["processed"] = waiting - left
        print(f"memory bench: celery worker processed {waiting - left} of {waiting} emails")
        rows = [main]
        if children:
            rows.append(_row("celery worker pool child", _worst(children), None))
        return rows
    finally:
        process.terminate()
        process.wait(timeout=60)


def run(*, runs: int = 3, per_client: int = 10) -> list[dict]:
    with jobs.smtp_sink() as smtp:
        harness.ensure_database()
        seeded = jobs.ours("seed", str(TICKETS), smtp=smtp)[0]
        token, agent_token = harness.integration_token(), seeded["agent_token"]
        jobs.drop_queued_tasks()
        with harness.gunicorn(workers=WORKERS) as ours, bare_server(WORKERS) as bare:
            at_start = _worst(ours.worker_pids())  # the URLconf loaded, nothing else yet
            _loads(ours.url, bare.url, token, agent_token, runs, per_client)
            reference = _worst(bare.worker_pids())
            rows = [
                _row("web worker after the ready check", at_start, None),
                _row("web worker after the loads", _worst(ours.worker_pids()), reference),
                _row("gunicorn master", process_memory(ours.process.pid), None),
            ]
        rows += _celery_worker(smtp)
    jobs.drop_queued_tasks()
    print(f"memory bench: load average {Path('/proc/loadavg').read_text().strip()}")
    return rows
