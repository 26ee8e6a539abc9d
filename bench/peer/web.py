"""The HTTP loads of the peer bench: the same load generator (bench/load.py) against our
server, django-helpdesk's and the bare no-op, in interleaved rounds."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from ..load import LoadResult, RequestFactory, run_load

CONCURRENCY = (1, 8, 32)
BODY = "The parcel arrived damaged; please help."


def ours_create(token: str) -> RequestFactory:
    def make(index: int):
        return (
            "POST",
            "/api/v1/tickets/",
            {
                "subject": f"Bench ticket {index}",
                "body": BODY,
                "requester": {"email": f"customer{index % 1000}@example.com", "name": "Bench"},
            },
            {"Authorization": f"Token {token}", "Idempotency-Key": uuid.uuid4().hex},
        )

    return make


def peer_create(token: str, queue: int) -> RequestFactory:
    def make(index: int):
        return (
            "POST",
            "/api/tickets/",
            {
                "queue": queue,
                "title": f"Bench ticket {index}",
                "description": BODY,
                "submitter_email": f"customer{index % 1000}@example.com",
                "priority": 3,
            },
            {"Authorization": f"Token {token}"},
        )

    return make


def ours_ping(token: str) -> RequestFactory:
    """Our no-op POST, with the same headers as a create."""

    def make(index: int):
        return (
            "POST",
            "/api/v1/ping/",
            {"echo": index},
            {"Authorization": f"Token {token}", "Idempotency-Key": uuid.uuid4().hex},
        )

    return make


def get(path: str, token: str | None = None) -> RequestFactory:
    headers = {"Authorization": f"Token {token}"} if token else {}
    return lambda index: ("GET", path, None, headers)


def bare_post() -> RequestFactory:
    return lambda index: ("POST", "/noop/", {"echo": index}, {})


def measure(
    url: str, factory: RequestFactory, total: int, concurrency: int, name: str
) -> LoadResult:
    # the peer's list reads the whole table: tens of seconds on a loaded machine
    result = run_load(url, factory, total=total, concurrency=concurrency, timeout=300)
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors} of {total} requests failed")
    return result


Sample = dict[str, list[LoadResult]]


def creates(
    servers: dict[str, tuple[str, RequestFactory]], concurrency: int, per_client: int
) -> Callable[[Sample], None]:
    """One round of creates (and the no-op references) at `concurrency`, in the given order."""
    total = max(60, per_client * concurrency)

    def round_(samples: Sample) -> None:
        for name, (url, factory) in servers.items():
            key = f"{name}@{concurrency}"
            samples.setdefault(key, []).append(measure(url, factory, total, concurrency, key))

    return round_
