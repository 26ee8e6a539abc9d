"""Report parameters: unknown or malformed ones are a 400 in the API's error shape (never
silently ignored); time zones decide which day an instant belongs to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slas.models import Metric
from tests.conftest import client_for
from tests.factories import CalendarFactory, PolicyFactory, TicketFactory
from tickets.models import Ticket

from .conftest import WEEK, _clock

pytestmark = pytest.mark.django_db

REPORTS = ("sla", "backlog", "satisfaction", "success", "agents")


def _fields(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "invalid"
    return {f["field"]: f["message"] for f in body["error"]["fields"]}


@pytest.mark.parametrize("report", REPORTS)
def test_unknown_parameter_is_a_400_naming_it(manager, report):
    response = client_for(manager).get(f"/api/v1/reports/{report}/", {"tiers": "1"})
    assert "tiers" in _fields(response)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": "../etc/passwd"}, "tz"),
        ({"period": "year"}, "period"),
        ({"since": "2026-13-01"}, "since"),
        ({"since": "1999-12-31"}, "since"),
        ({"since": "2026-11-09", "until": "2026-11-02"}, "since"),
        ({"since": "2025-01-01", "until": "2026-11-02"}, "until"),
        ({"priority": "critical"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"tier": "abc"}, "tier"),
        ({"tier": "999999"}, "tier"),
        ({"team": "-1"}, "team"),
        ({"team": "99999999999999999999"}, "team"),
    ],
)
def test_malformed_parameter_is_a_400_on_the_sla_report(manager, params, field):
    response = client_for(manager).get("/api/v1/reports/sla/", params)
    assert field in _fields(response)


def test_a_parameter_given_twice_is_a_400(manager):
    response = client_for(manager).get("/api/v1/reports/backlog/?period=day&period=week")
    assert "period" in _fields(response)


def test_satisfaction_keeps_days_and_now_refuses_what_it_used_to_ignore(manager, agent):
    client = client_for(manager)
    assert client.get("/api/v1/reports/satisfaction/", {"days": "7"}).status_code == 200
    assert "days" in _fields(client.get("/api/v1/reports/satisfaction/", {"days": "0"}))
    assert "days" in _fields(client.get("/api/v1/reports/satisfaction/", {"days": "731"}))
    both = client.get("/api/v1/reports/satisfaction/", {"days": "7", "since": "2026-11-01"})
    assert "days" in _fields(both)
    assert "agent" in _fields(client.get("/api/v1/reports/satisfaction/", {"agent": "999999"}))
    # tier, channel and agent are real filters now, not silently ignored
    mine = client.get("/api/v1/reports/satisfaction/", {"agent": agent.pk, "channel": "chat"})
    assert mine.status_code == 200
    assert mine.json()["query"]["agent"] == agent.pk
    assert mine.json()["query"]["channel"] == "chat"


def test_satisfaction_default_window_is_still_90_days(manager):
    query = client_for(manager).get("/api/v1/reports/satisfaction/").json()["query"]
    since, until = (datetime.fromisoformat(query[k]) for k in ("since", "until"))
    assert (until - since).days + 1 == 90


def test_time_zone_defaults_to_the_default_sla_calendar(manager):
    PolicyFactory(is_default=True, calendar=CalendarFactory(time_zone="Europe/Berlin"))
    query = client_for(manager).get("/api/v1/reports/backlog/").json()["query"]
    assert query["tz"] == "Europe/Berlin"


def test_time_zone_defaults_to_utc_without_a_default_calendar(manager):
    assert client_for(manager).get("/api/v1/reports/sla/").json()["query"]["tz"] == "UTC"


def test_a_ticket_solved_at_23_30_in_berlin_counts_on_that_berlin_day(manager):
    # 23:30 Berlin on Thursday 5 November = 22:30 UTC; 00:30 Berlin on Friday = 23:30 UTC Thu.
    late = TicketFactory(status="solved")
    after_midnight = TicketFactory(status="solved")
    Ticket.objects.filter(pk=late.pk).update(solved_at=datetime(2026, 11, 5, 22, 30, tzinfo=UTC))
    Ticket.objects.filter(pk=after_midnight.pk).update(
        solved_at=datetime(2026, 11, 5, 23, 30, tzinfo=UTC)
    )
    client = client_for(manager)
    window = {"since": "2026-11-05", "until": "2026-11-06"}

    def solved(tz):
        flow = client.get("/api/v1/reports/backlog/", {**window, "tz": tz}).json()["flow"]
        return {row["period"]: row["solved"] for row in flow}

    assert solved("Europe/Berlin") == {"2026-11-05": 1, "2026-11-06": 1}
    assert solved("UTC") == {"2026-11-05": 2, "2026-11-06": 0}


def test_the_window_ends_at_local_midnight_across_a_dst_change(manager):
    # Berlin leaves summer time on Sunday 25 October 2026 at 03:00 CEST (01:00 UTC).
    policy = PolicyFactory()
    for created in (
        datetime(2026, 10, 24, 21, 30, tzinfo=UTC),  # Sat 23:30 CEST: in
        datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # Sun 23:30 CET: in
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # Mon 00:30 CET: out
    ):
        ticket = TicketFactory()
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
        ticket.refresh_from_db()
        _clock(ticket, Metric.FIRST_RESPONSE, policy, due=created, fulfilled=created)
    params = {"since": "2026-10-24", "until": "2026-10-25", "tz": "Europe/Berlin"}
    report = client_for(manager).get("/api/v1/reports/sla/", params).json()
    series = report["by"]["period"]["first_response"]
    assert [(row["period"], row["total"]) for row in series] == [
        ("2026-10-24", 1),
        ("2026-10-25", 1),
    ]


@pytest.mark.parametrize("report", REPORTS)
def test_report_query_count_is_constant_whatever_the_data(world, frozen, report):
    client = client_for(world.users["mona"])
    path = f"/api/v1/reports/{report}/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, WEEK).status_code == 200
        return len(queries)

    count()  # the first request of a token also records its use
    before = count()
    policy = PolicyFactory()
    for _ in range(15):
        ticket = TicketFactory(team=world.teams["support"], assignee=world.users["bob"])
        _clock(ticket, Metric.FIRST_RESPONSE, policy, due=frozen, fulfilled=frozen)
    # the rollups were refreshed less than REPORTS_MAX_STALENESS_SECONDS ago: the marked days
    # wait for beat, the report reads the rollups as they are (no inline refresh)
    assert count() == before
    assert before == QUERY_BUDGET[report]
    # older than that (beat stopped): the refresh runs inline first, then the same reads;
    # with days marked one round trip per rollup zone (UTC, Berlin) more
    stale = settings.REPORTS_MAX_STALENESS_SECONDS
    extra = REFRESH + 2 if report in ROLLUP_REPORTS else 0
    with time_machine.travel(frozen + timedelta(seconds=stale), tick=False):
        assert count() == before + extra
        assert count() == before  # refreshed: fresh again


# Pinned: token auth (0: cached) + the report's own queries (each selector's docstring counts them);
# without ?tz= one more reads the default calendar's zone. SLA, backlog, satisfaction and agents
# answer from their rollups: their freshness (1: the stamp and the zone) and the read
# (savepoint 2, jit off, then SLA: 2 reads + running clocks 2 + names 2; satisfaction: 1 read
# + names 2 + agents 1; backlog: open now 2 (rollup, boundary days live) + flow read 1 +
# pending 1 + names 2; agents: agents 1 + read 1); success reads its retention rollup (names
# 2, freshness 1, episodes 2, follow-ups 1 live + savepoint 2 + jit off, retention 1). A stale
# refresh adds REFRESH (savepoint 2, lock, jit off, stamp, zones, marked days, the open tickets
# of those days) and, with days marked, one round trip per rollup zone.
QUERY_BUDGET = {"sla": 10, "backlog": 10, "satisfaction": 8, "success": 10, "agents": 6}
REFRESH = 8
ROLLUP_REPORTS = ("sla", "backlog", "satisfaction", "success", "agents")
