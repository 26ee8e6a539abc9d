"""Filtered SLA and satisfaction reports from the rollups' full-key rows (cuboid 15: tier,
channel, team and priority / agent at once, summed over the filtered subset) give the base
tables' answer: random worlds, each filter alone and combined, three zones."""

from __future__ import annotations

import dataclasses
import random

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from reports.selectors import satisfaction_report, sla_report
from reports.selectors.sla_rollup import rollup_filters
from slas.models import SlaTier
from tickets.models import Team, Ticket

from .conftest import NOW
from .test_rollups import ZONES, _query, _random_surveys, _random_world, diff

pytestmark = pytest.mark.django_db
SHAPES = (("UTC", "day"), ("Europe/Berlin", "week"), ("Asia/Tehran", "month"))


def _filters(agent: int | None) -> list[dict]:
    gold = SlaTier.objects.get(name="Gold").pk
    basic = SlaTier.objects.get(name="Basic").pk  # also the organization's tier
    support = Team.objects.get(name="Support").pk
    alone = [{"tier": gold}, {"tier": basic}, {"team": support}, {"channel": "chat"}]
    combined = [
        {"tier": basic, "team": support},
        {"team": support, "channel": "email"},
        {"tier": gold, "team": support, "channel": "phone"},
    ]
    sla_only = [{"priority": 2}, {"tier": basic, "priority": 3}]
    satisfaction_only = [{"agent": agent}, {"agent": agent, "channel": "chat"}]
    only = [{"sla": f} for f in sla_only] + [{"sat": f} for f in satisfaction_only]
    return alone + combined + only


def _both(report, query) -> tuple[dict, dict]:
    with override_settings(REPORTS_ROLLUP_ZONES=ZONES), CaptureQueriesContext(connection) as q:
        rolled = report(query)
    table = "reports_slarollup" if report is sla_report else "reports_surveyrollup"
    assert any(table in x["sql"] for x in q.captured_queries), "the rollups answered"
    with override_settings(REPORTS_ROLLUP_ZONES=()):
        base = report(query)
    return rolled, base


@pytest.mark.parametrize("seed", [21, 22])
def test_filtered_sla_and_satisfaction_from_rollups_equal_the_base_tables(seed):
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(seed)
        _random_world(rng)
        _random_surveys(rng)
        agent = Ticket.objects.exclude(assignee=None).values_list("assignee", flat=True)[0]
        checked = 0
        for filters in _filters(agent):
            reports = [sla_report, satisfaction_report]
            if "sla" in filters:
                filters, reports = filters["sla"], [sla_report]
            elif "sat" in filters:
                filters, reports = filters["sat"], [satisfaction_report]
            for zone, period in SHAPES:
                query = dataclasses.replace(_query(zone, period), **filters)
                for report in reports:
                    rolled, base = _both(report, query)
                    assert rolled == base, (report.__name__, filters, diff(rolled, base)[:8])
                    checked += 1
        assert checked == 2 * 7 * 3 + 2 * 3 + 2 * 3


def test_the_full_key_rows_are_not_counted_in_an_unfiltered_answer():
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(23)
        _random_world(rng)
        _random_surveys(rng)
        for report in (sla_report, satisfaction_report):
            rolled, base = _both(report, _query("Europe/Berlin", "week"))
            assert rolled == base, diff(rolled, base)[:8]


def test_a_filter_the_rollup_key_lacks_reads_the_base_tables():
    query = dataclasses.replace(_query("UTC"), agent=7)
    assert rollup_filters(query, {"tier": "tier_id"}) is None
    with_priority = dataclasses.replace(_query("UTC"), priority=2)
    from reports.selectors.satisfaction_rollup import COLUMN

    assert rollup_filters(with_priority, COLUMN) is None
