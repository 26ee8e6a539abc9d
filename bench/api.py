"""API ticket create vs the same server's no-op POST (/api/v1/ping/): same auth, same
middleware, same write transaction; the ratio is what our ticket logic costs."""

from __future__ import annotations

import uuid

from . import harness, seed
from .load import median, run_load

CONCURRENCY = (1, 8, 32)


def _ticket(token: str):
    headers = {"Authorization": f"Token {token}"}

    def make(index: int):
        return (
            "POST",
            "/api/v1/tickets/",
            {
                "subject": f"Bench ticket {index}",
                "body": "The parcel arrived damaged; please help.",
                "requester": {"email": f"bench{index % 1000}@example.com", "name": "Bench"},
                "tags": ["bench"],
            },
            {**headers, "Idempotency-Key": uuid.uuid4().hex},
        )

    return make


def _ping(token: str):
    headers = {"Authorization": f"Token {token}"}

    def make(index: int):
        return (
            "POST",
            "/api/v1/ping/",
            {"echo": index},
            {**headers, "Idempotency-Key": uuid.uuid4().hex},
        )

    return make


def run(*, runs: int = 3, workers: int = 4, requests_per_client: int = 60) -> list[dict]:
    harness.ensure_database()
    seed.ensure_production_defaults(harness.DATABASE_URL)  # a create starts its clocks
    token = harness.integration_token()
    rows = []
    with harness.gunicorn(workers=workers) as server:
        run_load(server.url, _ticket(token), total=200, concurrency=8)  # warm up, customers
        for concurrency in CONCURRENCY:
            total = max(100, requests_per_client * concurrency)
            figures: dict[str, dict[str, list[float]]] = {}
            for name, factory in (("create", _ticket(token)), ("noop", _ping(token))):
                samples = [
                    run_load(server.url, factory, total=total, concurrency=concurrency)
                    for _ in range(runs)
                ]
                assert all(s.errors == 0 for s in samples), f"{name}: errors during load"
                figures[name] = {
                    "rps": [s.rps for s in samples],
                    "p50": [s.percentile(50) for s in samples],
                    "p99": [s.percentile(99) for s in samples],
                }
            create, noop = figures["create"], figures["noop"]
            rows.append(
                {
                    "benchmark": f"ticket create, c={concurrency}",
                    "rps": median(create["rps"]),
                    "p50_ms": median(create["p50"]),
                    "p99_ms": median(create["p99"]),
                    "reference": f"no-op POST {median(noop['rps']):.0f} req/s",
                    "ratio": median(create["rps"]) / median(noop["rps"]),
                }
            )
        rows.append(
            {
                "benchmark": f"web worker peak RSS ({workers} workers)",
                "value": max(harness.peak_rss_mib(pid) for pid in server.worker_pids()),
                "unit": "MiB",
            }
        )
    return rows
