"""The success report's retention from its rollup, and the agents' report filtered by two
dimensions or more from its full-key rows, give the base tables' answer: on random data in
whole-hour, half-hour and DST zones, for every period, windows ending mid-period, with a
tier filter, and after writes of every kind (new tickets, a kind, a requester, a creation
time, a customer's tier and organization, an organization's tier, deletes, raw SQL)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from customers.models import Customer, Organization
from reports.models import AgentRollup, RetentionRollup, RollupDirtyDay, RollupZone, SlaRollup
from reports.params import ReportQuery
from reports.rollups.refresh import rollups_rebuild, rollups_refresh
from reports.selectors import agents_report, success_report
from tests.factories import (
    CustomerFactory,
    OrganizationFactory,
    TicketFactory,
    TierFactory,
)
from tickets.models import Ticket, TicketKind

from .conftest import NOW
from .test_flow_agent_rollups import _random_flow
from .test_rollups import ZONES, _random_world, diff

pytestmark = pytest.mark.django_db


def _query(zone: str, period: str, since=date(2026, 9, 1), until=date(2026, 11, 9), **filters):
    return ReportQuery(since=since, until=until, period=period, tz=zone, **filters)


def _both(report, query: ReportQuery) -> tuple[dict, dict]:
    """(rollup answer, base-table answer)."""
    with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        rolled = report(query)
        assert RollupZone.objects.filter(zone=query.tz).exists()  # the rollup path answered
    with override_settings(REPORTS_ROLLUP_ZONES=()):
        base = report(query)
    rolled.pop("fresh_as_of")
    base.pop("fresh_as_of")
    return rolled, base


def _beat() -> None:
    with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        rollups_refresh()


def _random_customers(rng: random.Random) -> list[Customer]:
    """Customers with their own tier, their organization's, none; tickets of both kinds on
    them from mid-July to today, some at a local midnight's edge."""
    gold, basic = TierFactory(name="Gold", rank=30), TierFactory(name="Basic", rank=10)
    orgs = [OrganizationFactory(name="Acme", tier=basic), OrganizationFactory(name="Nil")]
    customers = [CustomerFactory(tier=rng.choice([gold, basic, None])) for _ in range(6)]
    customers += [CustomerFactory(organization=rng.choice(orgs)) for _ in range(4)]
    start = datetime(2026, 7, 15, tzinfo=UTC)
    for _ in range(220):
        minute = rng.randrange(0, 117 * 24 * 60, 15)
        if rng.random() < 0.2:  # near a midnight somewhere (UTC 22:00-02:00)
            minute = minute // 1440 * 1440 + rng.choice([-120, -90, -30, 0, 30, 90])
        created = start + timedelta(minutes=max(minute, 0))
        ticket = TicketFactory(requester=rng.choice(customers))
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            kind=rng.choice([TicketKind.REACTIVE] * 4 + [TicketKind.PROACTIVE]),
        )
    return customers


def _retention_queries(zone: str) -> list[ReportQuery]:
    gold = TierFactory._meta.model.objects.get(name="Gold").pk
    return [
        *(_query(zone, period) for period in ("day", "week", "month")),
        _query(zone, "week", until=date(2026, 10, 28)),  # ends on a Wednesday
        _query(zone, "month", since=date(2026, 8, 10), until=date(2026, 10, 17)),
        _query(zone, "month", tier=gold),
        _query(zone, "day", since=date(2026, 10, 20), until=date(2026, 10, 30), tier=gold),
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_success_retention_from_the_rollup_answers_as_the_base_tables(seed):
    with time_machine.travel(NOW, tick=False):
        _random_customers(random.Random(seed))
        for zone in ZONES:
            for query in _retention_queries(zone):
                rolled, base = _both(success_report, query)
                assert rolled == base, (query, diff(rolled, base)[:8])
        assert RetentionRollup.objects.filter(zone="Asia/Tehran", period="week").exists()
        weekly = _both(success_report, _query("UTC", "week"))[0]["retention"]["by_period"]
        assert sum(row["active_again"] for row in weekly) > 0


def test_every_write_reaches_the_retention_rollup():
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(9)
        customers = _random_customers(rng)
        queries = [q for zone in ("UTC", "Europe/Berlin") for q in _retention_queries(zone)]
        for query in queries:
            _both(success_report, query)  # built
        assert not RollupDirtyDay.objects.exists()
        tickets = list(Ticket.objects.order_by("id"))
        platinum = TierFactory(name="Platinum", rank=50)
        new = TicketFactory(requester=customers[0])
        late = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)  # 1 October in Berlin
        Ticket.objects.filter(pk=new.pk).update(created_at=late)
        Ticket.objects.filter(pk=tickets[0].pk).update(kind=TicketKind.PROACTIVE)
        Ticket.objects.filter(pk=tickets[1].pk).update(kind=TicketKind.REACTIVE)
        Ticket.objects.filter(pk=tickets[2].pk).update(requester=customers[-1])
        Ticket.objects.filter(pk=tickets[3].pk).update(created_at=datetime(2026, 10, 5, tzinfo=UTC))
        Ticket.objects.filter(pk=tickets[4].pk).delete()
        Customer.objects.filter(pk=customers[1].pk).update(tier=platinum)
        Customer.objects.filter(pk=customers[2].pk).update(
            tier=None, organization=Organization.objects.get(name="Acme")
        )
        Organization.objects.filter(name="Acme").update(tier=platinum)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_ticket SET created_at = created_at + interval '7 days'"
                " WHERE id = %s",
                [tickets[5].pk],
            )
        assert RollupDirtyDay.objects.exists()
        _beat()
        for query in queries:
            rolled, base = _both(success_report, query)
            assert rolled == base, (query, diff(rolled, base)[:8])
        tiers = {r["tier"] for r in _both(success_report, queries[2])[0]["retention"]["by_tier"]}
        assert "Platinum" in tiers


def test_rebuild_gives_the_retention_rows_the_triggers_kept():
    with time_machine.travel(NOW, tick=False), override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        rng = random.Random(11)
        rollups_refresh()  # built empty: what follows reaches the rollup through triggers
        customers = _random_customers(rng)
        Customer.objects.filter(pk=customers[0].pk).update(tier=None)
        rollups_refresh()
        fields = [f.name for f in RetentionRollup._meta.fields if f.name != "id"]
        kept = sorted(RetentionRollup.objects.values_list(*fields), key=str)
        rollups_rebuild()
        assert sorted(RetentionRollup.objects.values_list(*fields), key=str) == kept
        assert kept


def test_agents_filtered_by_two_dimensions_or_more_read_the_full_key_rows():
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(3)
        _random_world(rng)
        _random_flow(rng)
        tier = Ticket.objects.exclude(requester__tier=None).first().requester.tier_id
        team = Ticket.objects.exclude(team=None).first().team_id
        combos = [
            {"team": team, "channel": "chat"},
            {"tier": tier, "priority": 2},
            {"tier": tier, "team": team, "channel": "email"},
            {"tier": tier, "team": team, "channel": "email", "priority": 3},
        ]
        counted = 0
        for zone in ("Europe/Berlin", "Asia/Tehran"):
            for extra in combos:
                for period in ("day", "month"):
                    query = ReportQuery(
                        since=date(2026, 10, 20), until=date(2026, 11, 8), period=period,
                        tz=zone, **extra,
                    )  # fmt: skip
                    with (
                        override_settings(REPORTS_ROLLUP_ZONES=ZONES),
                        connection.execute_wrapper(_no_base_tables),
                    ):
                        rolled = agents_report(query)
                    with override_settings(REPORTS_ROLLUP_ZONES=()):
                        base = agents_report(query)
                    assert rolled["agents"] == base["agents"], (extra, diff(rolled, base)[:8])
                    counted += sum(r["solved"] + r["replies"] for r in rolled["agents"])
        assert counted > 0


def _no_base_tables(execute, sql, params, many, context):
    """The rollup answer runs none of the base-table path's ORM queries (messages, clocks,
    surveys; the refresh's own SQL names them unquoted)."""
    for table in ("tickets_message", "slas_slaclock", "followups_survey"):
        assert f'FROM "{table}"' not in sql, sql[:200]
    return execute(sql, params, many, context)


def test_rebuild_only_agents_and_retention_restores_what_a_full_rebuild_gives():
    with time_machine.travel(NOW, tick=False), override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        rng = random.Random(5)
        _random_world(rng)
        _random_flow(rng)
        _random_customers(rng)
        rollups_rebuild()
        full = {m: _rows(m) for m in (AgentRollup, RetentionRollup, SlaRollup)}
        AgentRollup.objects.all().delete()
        RetentionRollup.objects.all().delete()
        RollupZone.objects.all().delete()  # what migration 0012 does
        rollups_rebuild(only=["agents", "retention"])
        assert {m: _rows(m) for m in (AgentRollup, RetentionRollup, SlaRollup)} == full
        assert set(RollupZone.objects.values_list("zone", flat=True)) == set(ZONES)
        assert full[AgentRollup]
        assert full[RetentionRollup]


def _rows(model) -> list:
    fields = [f.name for f in model._meta.fields if f.name != "id"]
    return sorted(model.objects.values_list(*fields), key=str)


def test_success_from_the_rollup_costs_ten_queries_whatever_the_window(
    django_assert_num_queries,
):
    with time_machine.travel(NOW, tick=False), override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        _random_customers(random.Random(4))
        success_report(_query("UTC", "day"))  # built (the first read refreshes inline)
        # names (2), freshness (1), episodes (2), follow-ups (1, and savepoint 2 + jit off),
        # retention (1)
        for period, since in (("day", date(2026, 11, 1)), ("week", date(2025, 11, 10))):
            with django_assert_num_queries(10):
                success_report(_query("UTC", period, since=since))
