"""The light request path: our no-op (/api/v1/ping/) against the bare reference (bench/bare:
Django + DRF and nothing of ours), both under the same gunicorn shape (2 sync workers, one
thread, DEBUG off), loads interleaved round by round so that machine noise hits both alike.

Figures (medians of the rounds):
- our ping GET, POST, POST with an Idempotency-Key, c=8, each as a ratio of the bare no-op's
  GET or POST;
- ticket create (default team and SLA policy seeded: the create starts its clocks), c=1, 8
  and 32, as a ratio of the bare no-op POST at the same concurrency;
- desk queue and ticket page p50, c=1, as a multiple of our no-op GET's p50.
"""

from __future__ import annotations

import uuid

from . import api, desk_pages, harness
from .bare import serve as serve_bare
from .load import LoadResult, median, run_load

WORKERS = 2
ROUNDS = 3
CREATE_CONCURRENCY = (1, 8, 32)
# Requests per load and round: enough for stable medians on a quiet machine, small enough
# that the whole bench takes minutes on a busy one.
NOOP_REQUESTS = 400
PAGE_REQUESTS = 40


def _ping(token: str, method: str, *, idempotent: bool):
    headers = {"Authorization": f"Token {token}"}

    def make(index: int):
        extra = {"Idempotency-Key": uuid.uuid4().hex} if idempotent else {}
        body = {"echo": index} if method == "POST" else None
        return (method, "/api/v1/ping/", body, {**headers, **extra})

    return make


def _bare(method: str):
    def make(index: int):
        return (method, "/noop/", {"echo": index} if method == "POST" else None, {})

    return make


def _rounds(loads: dict[str, tuple[str, object]], *, total: int, concurrency: int, rounds: int):
    """Run every (url, factory) load once per round, interleaved; {name: [LoadResult...]}."""
    results: dict[str, list[LoadResult]] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, (url, factory) in loads.items():
            result = run_load(url, factory, total=total, concurrency=concurrency)
            assert result.errors == 0, f"{name}: {result.errors} errors"
            results[name].append(result)
    return results


def _row(name: str, samples: list[LoadResult], ref_name: str, ref: list[LoadResult]) -> dict:
    rps, ref_rps = median([s.rps for s in samples]), median([s.rps for s in ref])
    return {
        "benchmark": name,
        "rps": rps,
        "p50_ms": median([s.percentile(50) for s in samples]),
        "p99_ms": median([s.percentile(99) for s in samples]),
        "reference": f"{ref_name} {ref_rps:.0f} req/s",
        "ratio": rps / ref_rps if ref_rps else 0.0,
    }


def _noop_rows(ours: str, bare: str, token: str, runs: int) -> list[dict]:
    loads = {
        "bare GET": (bare, _bare("GET")),
        "ping GET": (ours, _ping(token, "GET", idempotent=False)),
        "bare POST": (bare, _bare("POST")),
        "ping POST": (ours, _ping(token, "POST", idempotent=False)),
        "ping POST + key": (ours, _ping(token, "POST", idempotent=True)),
    }
    for url, factory in loads.values():
        run_load(url, factory, total=100, concurrency=8)  # warm up
    r = _rounds(loads, total=NOOP_REQUESTS, concurrency=8, rounds=runs)
    return [
        _row("our no-op GET, c=8", r["ping GET"], "bare GET", r["bare GET"]),
        _row("our no-op POST, c=8", r["ping POST"], "bare POST", r["bare POST"]),
        _row(
            "our no-op POST + Idempotency-Key, c=8",
            r["ping POST + key"],
            "bare POST",
            r["bare POST"],
        ),
    ]


def _create_rows(ours: str, bare: str, token: str, runs: int) -> list[dict]:
    rows = []
    run_load(ours, api._ticket(token), total=200, concurrency=8)  # warm up, customers
    for concurrency in CREATE_CONCURRENCY:
        total = max(60, 15 * concurrency)
        loads = {"bare POST": (bare, _bare("POST")), "create": (ours, api._ticket(token))}
        r = _rounds(loads, total=total, concurrency=concurrency, rounds=runs)
        rows.append(
            _row(f"ticket create, c={concurrency}", r["create"], "bare POST", r["bare POST"])
        )
    return rows


def _desk_rows(ours: str, token: str, ticket_id: int, runs: int) -> list[dict]:
    cookie = desk_pages._sign_in(ours)
    loads = {
        "noop": (ours, _ping(token, "GET", idempotent=False)),
        "desk queue page (50 rows), c=1": (ours, desk_pages._get("/desk/", cookie)),
        "desk ticket page (40 messages), c=1": (
            ours,
            desk_pages._get(f"/desk/tickets/{ticket_id}/", cookie),
        ),
    }
    for url, factory in loads.values():
        run_load(url, factory, total=20, concurrency=1)  # warm up
    r = _rounds(loads, total=PAGE_REQUESTS, concurrency=1, rounds=runs)
    ref_p50 = median([s.percentile(50) for s in r["noop"]])
    rows = []
    for name in list(loads)[1:]:
        p50 = median([s.percentile(50) for s in r[name]])
        rows.append(
            {
                "benchmark": name,
                "rps": median([s.rps for s in r[name]]),
                "p50_ms": p50,
                "p99_ms": median([s.percentile(99) for s in r[name]]),
                "reference": f"our no-op GET p50 {ref_p50:.1f} ms",
                "ratio": p50 / ref_p50 if ref_p50 else 0.0,
            }
        )
    return rows


def run(*, runs: int = ROUNDS) -> list[dict]:
    harness.ensure_database()
    harness.manage("collectstatic", "--noinput")
    harness.manage("seed_demo")  # a default team and SLA policy: creates start their clocks
    ticket_id = int(harness.manage("shell", "-c", desk_pages.SEED).strip().splitlines()[-1])
    token = harness.integration_token()
    harness.sql("ANALYZE")  # no autovacuum here: plans from what earlier benches left
    with harness.gunicorn(workers=WORKERS) as server, serve_bare(workers=WORKERS) as bare:
        rows = _noop_rows(server.url, bare, token, runs)
        rows += _create_rows(server.url, bare, token, runs)
        rows += _desk_rows(server.url, token, ticket_id, runs)
    return rows
