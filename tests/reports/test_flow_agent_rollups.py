"""The backlog's flow, the agents' report and the dashboard's SLA series from their rollups give
the base tables' answer: on random data (replies, reopens, surveys, first responses, every
status) in whole-hour, half-hour and DST zones, for every period, with filters, and after writes
of every kind (ORM update(), raw SQL, deletes, a merge, a reopen, a tier change)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from reports.models import AgentRollup, FlowRollup, RollupDirtyDay, RollupZone
from reports.params import ReportQuery
from reports.rollups import bins
from reports.rollups.refresh import rollups_rebuild, rollups_refresh
from reports.selectors import agents_report, backlog_report, sla_compliance_by_tier_over_time
from slas.models import Metric
from tests.factories import TeamFactory, TicketFactory, TierFactory, UserFactory
from tickets.models import Message, Ticket, TicketEvent
from tickets.services.merge import ticket_merge

from .conftest import NOW, _message, _status
from .test_rollups import ZONES, _random_surveys, _random_world, diff

pytestmark = pytest.mark.django_db
REPORTS = {"backlog": backlog_report, "agents": agents_report}


def _query(zone: str, period: str = "day", **filters) -> ReportQuery:
    return ReportQuery(
        since=date(2026, 10, 20), until=date(2026, 11, 8), period=period, tz=zone, **filters
    )


def _beat() -> None:
    """What beat does every REPORTS_REFRESH_SECONDS (a report reads the rollups as they are
    while they are younger than REPORTS_MAX_STALENESS_SECONDS: time is frozen here)."""
    with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        rollups_refresh()


def _both(report: str, query: ReportQuery) -> tuple[dict, dict]:
    """(rollup answer, base-table answer) of one report."""
    with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        rolled = REPORTS[report](query)
        assert RollupZone.objects.filter(zone=query.tz).exists()  # the rollup path answered
        model = FlowRollup if report == "backlog" else AgentRollup
        assert model.objects.filter(zone=query.tz).exists()
    with override_settings(REPORTS_ROLLUP_ZONES=()):
        base = REPORTS[report](query)
    if report == "backlog":  # pending percentiles: from bins (the durations are not on edges)
        for name in ("p50_minutes", "p90_minutes"):
            _binned_as(rolled["pending"][name], base["pending"][name])
            rolled["pending"][name] = base["pending"][name]
    return rolled, base


def _binned_as(binned: float | None, exact: float | None) -> None:
    """A percentile over durations floored to their bins' lower edges: at most one bin (the
    next one up's width) below the exact percentile, never above it."""
    if exact is None:
        assert binned is None
        return
    low = bins.bin_of(exact)
    width = bins.EDGES[min(low + 1, bins.BINS - 1)] - bins.EDGES[low]
    assert exact - max(width, bins.EDGES[1]) - 0.1 <= binned <= exact + 0.1, (binned, exact)


def _random_flow(rng: random.Random) -> list:
    """On top of the SLA world: statuses and solved times, agent replies (public, private,
    customer's), reopens and closes from solved, assignees and surveys."""
    agents = [UserFactory(username=f"flow{i}") for i in range(3)]
    for ticket in Ticket.objects.all():
        status = rng.choice(["new", "open", "pending", "solved", "solved", "closed"])
        solved = None
        if status in ("solved", "closed") or rng.random() < 0.1:
            solved = ticket.created_at + timedelta(minutes=rng.randrange(30, 4 * 24 * 60, 15))
        Ticket.objects.filter(pk=ticket.pk).update(
            status=status, solved_at=solved, assignee=rng.choice([*agents, None])
        )
        for _ in range(rng.choice([0, 1, 1, 2])):
            when = ticket.created_at + timedelta(minutes=rng.randrange(5, 3 * 24 * 60, 5))
            inbound = rng.random() < 0.2
            author = None if inbound else rng.choice(agents)
            public = inbound or rng.random() < 0.8  # a customer's message is never a note
            _message(ticket, when, author=author, public=public, inbound=inbound)
        if solved and rng.random() < 0.3:
            after = rng.choice(["open", "closed", "pending"])
            _status(ticket, solved + timedelta(hours=2), "solved", after)
        if rng.random() < 0.2:  # a pending stretch
            _status(ticket, ticket.created_at + timedelta(hours=1), "open", "pending")
            _status(ticket, ticket.created_at + timedelta(hours=5), "pending", "open")
    _random_surveys(rng)
    return agents


@pytest.mark.parametrize("seed", [1, 2])
def test_backlog_and_agents_from_rollups_answer_as_the_base_tables(seed):
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(seed)
        _random_world(rng)
        _random_flow(rng)
        for zone in ZONES:
            for period in ("day", "week", "month"):
                for report in REPORTS:
                    rolled, base = _both(report, _query(zone, period))
                    assert rolled == base, diff(rolled, base)[:8]


def test_filtered_reports_read_the_rollups_and_answer_as_the_base_tables():
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(3)
        _random_world(rng)
        _random_flow(rng)
        tier = Ticket.objects.exclude(requester__tier=None).first().requester.tier_id
        team = Ticket.objects.exclude(team=None).first().team_id
        filters = [{"tier": tier}, {"team": team}, {"channel": "chat"}, {"priority": 2}]
        for zone in ("Europe/Berlin", "Asia/Tehran"):
            for extra in [*filters, {"tier": tier, "team": team, "channel": "email"}]:
                rolled, base = _both("backlog", _query(zone, "week", **extra))
                assert rolled == base, (extra, diff(rolled, base)[:8])
                assert rolled["created"] < _both("backlog", _query(zone))[0]["created"]
            for extra in filters:  # one dimension beside the agent: its cuboid
                rolled, base = _both("agents", _query(zone, "week", **extra))
                assert rolled == base, (extra, diff(rolled, base)[:8])
        assert sum(r["solved"] for r in rolled["agents"]) > 0


def test_every_write_reaches_the_flow_and_agents_rollups():
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(7)
        _random_world(rng)
        agents = _random_flow(rng)
        query = _query("Europe/Berlin")
        for report in REPORTS:
            _both(report, query)  # built
        assert not RollupDirtyDay.objects.exists()
        solved = Ticket.objects.filter(status="solved", solved_at__isnull=False)
        first, second, third = solved[:3]
        # a reopen by the customer writing (audit event from solved), and one reverted
        _status(first, first.solved_at + timedelta(hours=1), "solved", "open")
        Ticket.objects.filter(pk=first.pk).update(status="open")
        TicketEvent.objects.filter(ticket=second, before__status="solved").delete()
        # a reassignment, a reply deleted, a reply by raw SQL, a tier change, a deleted ticket
        Ticket.objects.filter(pk=third.pk).update(assignee=agents[0], team=TeamFactory())
        Message.objects.filter(ticket=second).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_message SET is_public = NOT is_public WHERE id IN"
                " (SELECT id FROM tickets_message ORDER BY id LIMIT 3)"
            )
            cursor.execute(
                "UPDATE slas_slaclock SET fulfilled_at = started_at + interval '10 minutes'"
                " WHERE fulfilled_at IS NULL AND metric = 'first_response'"
            )
        third.requester.__class__.objects.filter(pk=third.requester_id).update(
            tier=TierFactory(name="Platinum", rank=50)
        )
        Ticket.objects.filter(pk=Ticket.objects.filter(status="new").first().pk).delete()
        assert RollupDirtyDay.objects.exists()
        _beat()
        for report in REPORTS:
            rolled, base = _both(report, query)
            assert rolled == base, (report, diff(rolled, base)[:8])


def test_a_merge_and_a_new_ticket_reach_the_backlog_rollups():
    with time_machine.travel(NOW, tick=False):
        _random_world(random.Random(9))
        query = _query("UTC")
        before, _ = _both("backlog", query)
        source = Ticket.objects.exclude(status__in=["closed", "solved"]).first()
        target = TicketFactory(requester=source.requester)
        Ticket.objects.filter(pk=target.pk).update(created_at=datetime(2026, 11, 1, 9, tzinfo=UTC))
        ticket_merge(source=source, target=target, actor=UserFactory())
        _beat()
        rolled, base = _both("backlog", query)
        assert rolled == base, diff(rolled, base)[:8]
        assert rolled["created"] == before["created"] + 1
        assert rolled["resolved"] == before["resolved"] + 1  # the merged source: closed


def test_solved_at_23_30_berlin_counts_on_that_berlin_day_for_agents():
    agent = UserFactory(username="late-agent")
    for solved in (
        datetime(2026, 11, 5, 22, 30, tzinfo=UTC),
        datetime(2026, 11, 5, 23, 30, tzinfo=UTC),
    ):
        ticket = TicketFactory(status="solved", assignee=agent)
        Ticket.objects.filter(pk=ticket.pk).update(solved_at=solved)

    def solved_on(day: str, zone: str) -> int:
        one = date.fromisoformat(day)
        query = ReportQuery(since=one, until=one, period="day", tz=zone)
        with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
            rows = agents_report(query)["agents"]
        return next(r["solved"] for r in rows if r["agent_id"] == agent.pk)

    assert (solved_on("2026-11-05", "Europe/Berlin"), solved_on("2026-11-06", "Europe/Berlin")) == (
        1,
        1,
    )
    assert (solved_on("2026-11-05", "UTC"), solved_on("2026-11-06", "UTC")) == (2, 0)
    assert AgentRollup.objects.filter(zone="Europe/Berlin", day=date(2026, 11, 6)).exists()


def test_the_dashboard_sla_series_from_rollups_equals_the_base_tables():
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(4)
        _random_world(rng)
        tier = Ticket.objects.exclude(requester__tier=None).first().requester.tier_id
        for zone in ZONES:
            team = Ticket.objects.exclude(team=None).first().team_id
            filters = ({}, {"tier": tier}, {"team": team}, {"tier": tier, "channel": "email"})
            for extra in filters:
                query = _query(zone, "week", **extra)
                for metric in Metric.values:
                    with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
                        rolled = sla_compliance_by_tier_over_time(query, metric)
                    with override_settings(REPORTS_ROLLUP_ZONES=()):
                        base = sla_compliance_by_tier_over_time(query, metric)
                    assert rolled == base, diff(rolled, base)[:8]
                    assert rolled["series"]


def test_rebuild_gives_the_flow_and_agents_rows_the_triggers_kept():
    with time_machine.travel(NOW, tick=False), override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        rng = random.Random(11)
        _random_world(rng)
        rollups_refresh()  # built before the flow: what follows reaches them through triggers
        _random_flow(rng)
        rollups_refresh()
        kept = {m: _rows(m) for m in (FlowRollup, AgentRollup)}
        rollups_rebuild()
        assert {m: _rows(m) for m in (FlowRollup, AgentRollup)} == kept
        assert kept[FlowRollup]
        assert kept[AgentRollup]


def _rows(model) -> list:
    fields = [f.name for f in model._meta.fields if f.name != "id"]
    return sorted(model.objects.values_list(*fields), key=str)
