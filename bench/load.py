"""A bounded HTTP load from this (second) process: asyncio + httpx, N requests at concurrency C."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return 0.0
        index = min(len(data) - 1, max(0, round(q / 100 * len(data)) - 1))
        return data[index]


RequestFactory = Callable[[int], tuple[str, str, dict | None, dict]]  # method, path, json, headers


async def _run(
    base_url: str, make_request: RequestFactory, total: int, concurrency: int, timeout: float
) -> LoadResult:
    import httpx

    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:

        async def worker() -> None:
            nonlocal errors
            for index in counter:
                method, path, body, headers = make_request(index)
                started = time.perf_counter()
                response = await client.request(method, path, json=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code >= 400:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return LoadResult(total, errors, elapsed, latencies)


def run_load(
    base_url: str,
    make_request: RequestFactory,
    *,
    total: int,
    concurrency: int,
    timeout: float = 30,
) -> LoadResult:
    return asyncio.run(_run(base_url, make_request, total, concurrency, timeout))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
