"""`python -m bench peer`: side by side with django-helpdesk (latest release from PyPI).

django-helpdesk is installed in a virtualenv of its own under var/peer/ (git-ignored, reused
between runs) with a minimal Django project written by bench/peer/project.py (DEBUG off,
PostgreSQL database BENCH_PEER_DATABASE_URL, token authentication). Both databases are seeded
alike and like production (BENCH_PEER_TICKETS open tickets, default 10,000; 200,000 is an
option): 1,000 submitters, one opening message per ticket; ours has a default team and a
default SLA policy (a create starts its clocks) and a resolution clock per ticket; 1,000 of
them are due (our SLA breach, their escalation after one day).

Then, in interleaved rounds (ours, peer, references), with the same load generator
(bench/load.py) and the same gunicorn shape (2 sync workers): the ticket list's first page,
ticket create at c=1, 8 and 32, the SLA sweep against `escalate_tickets` (in the process and as
a whole process), email intake of the same 1,000 messages against `get_email` (its local
directory mailbox) and the web workers' peak RSS. References of the same run: the bare
Django + DRF no-op (bench/bare/) and our own /api/v1/ping/. Mail the peer sends in a request
(and ours sends when intake runs eagerly) goes to an aiosmtpd sink on loopback.
"""

from __future__ import annotations

import os

from .. import harness
from ..bare import serve
from . import jobs, project, table, web

TICKETS = int(os.environ.get("BENCH_PEER_TICKETS", "10000"))
WORKERS = 2


def run(*, runs: int = 3, per_client: int = 10) -> list[dict]:
    with jobs.smtp_sink() as smtp:
        project.setup(smtp)
        harness.ensure_database()
        seeded = {
            "ours": jobs.ours("seed", str(TICKETS), smtp=smtp)[0],
            "peer": project.tool(smtp, "seed", str(TICKETS))[0],
        }
        print(f"peer bench: seeded {seeded}")
        token, peer_token = harness.integration_token(), seeded["peer"]["token"]
        agent_token = seeded["ours"]["agent_token"]
        counts = {
            "ours": jobs.ours("statements", token, agent_token, smtp=smtp)[0],
            "peer": project.tool(smtp, "statements", peer_token)[0],
        }
        with (
            harness.gunicorn(workers=WORKERS) as ours,
            project.gunicorn(smtp, workers=WORKERS) as peer,
            serve(workers=WORKERS) as bare,
        ):
            samples = _web_rounds(
                runs, per_client, ours.url, peer.url, bare, (token, agent_token), seeded
            )
            print(
                table.markdown(table.web_rows(samples, counts), TICKETS, runs)
            )  # kept if later fails
            rss = {
                "ours": max(harness.peak_rss_mib(pid) for pid in ours.worker_pids()),
                "peer": max(harness.peak_rss_mib(pid) for pid in peer.worker_pids()),
            }
        timers = jobs.timer_rounds(runs, smtp)
        intake = jobs.intake_rounds(runs, smtp)
    jobs.drop_queued_tasks()
    rows = table.rows(samples, counts, rss, timers, intake, TICKETS)
    print(table.markdown(rows, TICKETS, runs))
    return rows


def _web_rounds(
    runs: int,
    per_client: int,
    ours: str,
    peer: str,
    bare: str,
    tokens: tuple[str, str],
    seeded: dict,
) -> web.Sample:
    """Creates as our integration (as the api bench), lists as an agent of the default team
    (who sees the seeded tickets, as the peer's staff user does)."""
    token, agent_token = tokens
    queue = seeded["peer"]["queue"]
    lists = {
        "bare_get": (bare, web.get("/noop/"), 20),
        "ping_get": (ours, web.get("/api/v1/ping/", agent_token), 20),
        "ours_list": (ours, web.get("/api/v1/tickets/", agent_token), 20),
        "peer_list": (peer, web.get("/api/tickets/", seeded["peer"]["token"]), 2),
    }
    servers = {
        "bare": (bare, web.bare_post()),
        "ping": (ours, web.ours_ping(token)),
        "ours": (ours, web.ours_create(token)),
        "peer": (peer, web.peer_create(seeded["peer"]["token"], queue)),
    }
    warm = {"ours": servers["ours"], "peer": servers["peer"], "bare": servers["bare"]}
    web.creates(warm, 8, 10)({})  # warm up every worker (imports, connections, customers)
    samples: web.Sample = {}
    for round_ in range(runs):
        for name, (url, factory, total) in lists.items():
            samples.setdefault(name, []).append(web.measure(url, factory, total, 1, name))
        order = list(servers.items())
        order = order[round_ % len(order) :] + order[: round_ % len(order)]  # rotate who's first
        for concurrency in web.CONCURRENCY:
            web.creates(dict(order), concurrency, per_client)(samples)
        print(f"peer bench: web round {round_ + 1}/{runs} done")
    return samples
