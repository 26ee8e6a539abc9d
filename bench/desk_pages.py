"""The agents' desk pages on the demo data: the queue page with 50 rows and a ticket page
with a 40-message conversation, signed in as an agent, served by gunicorn (DEBUG off), next
to the same server's no-op API POST (/api/v1/ping/). The target: pages under 200 ms."""

from __future__ import annotations

import re

import httpx

from . import api, harness
from .load import median, run_load

QUEUE_TICKETS = 60  # more than the 50 rows the queue page shows

SEED = f"""
from accounts.models import User
from tickets import services
from tickets.models import Team, Ticket
from customers.models import Customer

alice = User.objects.get(username="alice")
support = Team.objects.get(name="Support")
# Customers a reply can reach (another bench, e.g. peer, may have seeded bare customers).
reachable = Customer.objects.filter(
    identities__kind="email", identities__undeliverable_at__isnull=True
)
customers = list(reachable.distinct().order_by("id")[:4])
have = Ticket.objects.filter(tags__name="bench-desk").count()
for n in range(have, {QUEUE_TICKETS}):
    services.ticket_create(
        requester=customers[n % len(customers)], subject=f"Desk bench {{n}}",
        body="The parcel arrived damaged.", team=support, priority=1 + n % 4,
        tags=["bench-desk"], channel=["email", "chat", "web"][n % 3],
    )
ticket = Ticket.objects.filter(tags__name="bench-desk").order_by("id").first()
for n in range(ticket.messages.count(), 40):
    if n % 2:
        services.customer_message_add(ticket=ticket, body=f"Customer message {{n}}")
    else:
        services.ticket_reply(ticket=ticket, author=alice, body=f"Reply {{n}}", public=n % 4 == 0)
print(ticket.pk)
"""


def _sign_in(base_url: str) -> str:
    """A Cookie header for alice's desk session. The cookies are Secure (DEBUG off) and the
    bench speaks plain HTTP on loopback, so they are carried by hand."""
    with httpx.Client(base_url=base_url) as client:
        page = client.get("/desk/login/")
        csrf = page.cookies["csrftoken"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/desk/login/",
            data={"username": "alice", "password": "demo", "csrfmiddlewaretoken": token},
            headers={"Cookie": f"csrftoken={csrf}"},
        )
        assert response.status_code == 302, response.text[:500]
        return f"csrftoken={csrf}; sessionid={response.cookies['sessionid']}"


def _get(path: str, cookie: str):
    def make(index: int):
        return ("GET", path, None, {"Cookie": cookie})

    return make


def run(*, runs: int = 3, workers: int = 2, requests: int = 100) -> list[dict]:
    harness.ensure_database()
    harness.manage("collectstatic", "--noinput")  # DEBUG off serves the manifest, as in Docker
    harness.manage("seed_demo")
    ticket_id = int(harness.manage("shell", "-c", SEED).strip().splitlines()[-1])
    token = harness.integration_token()
    harness.sql("ANALYZE")  # no autovacuum here: plans from what earlier benches left
    rows = []
    with harness.gunicorn(workers=workers) as server:
        cookie = _sign_in(server.url)
        queue = httpx.get(f"{server.url}/desk/", headers={"Cookie": cookie})
        assert queue.status_code == 200
        shown = len(re.findall(r"<tr data-ticket=", queue.text))
        pages = {
            f"desk queue page ({shown} rows), c=1": _get("/desk/", cookie),
            "desk ticket page (40 messages), c=1": _get(f"/desk/tickets/{ticket_id}/", cookie),
            "desk queue rows (htmx poll), c=1": _get("/desk/queue/rows/", cookie),
        }
        for factory in [*pages.values(), api._ping(token)]:
            run_load(server.url, factory, total=20, concurrency=1)  # warm up
        reference = [
            run_load(server.url, api._ping(token), total=requests, concurrency=1)
            for _ in range(runs)
        ]
        ref_p50 = median([r.percentile(50) for r in reference])
        for name, factory in pages.items():
            samples = [
                run_load(server.url, factory, total=requests, concurrency=1) for _ in range(runs)
            ]
            assert all(s.errors == 0 for s in samples), f"{name}: errors"
            p50 = median([s.percentile(50) for s in samples])
            rows.append(
                {
                    "benchmark": name,
                    "rps": median([s.rps for s in samples]),
                    "p50_ms": p50,
                    "p99_ms": median([s.percentile(99) for s in samples]),
                    "reference": f"no-op POST p50 {ref_p50:.1f} ms",
                    "ratio": p50 / ref_p50 if ref_p50 else 0.0,
                }
            )
    return rows
