"""The SLA report from its rollups gives the base tables' answer: on random data, in whole-hour,
half-hour and DST zones, and after writes of every kind (ORM update(), raw SQL)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from reports.models import RollupDirtyDay, RollupZone, SlaRollup, SurveyRollup
from reports.params import ReportQuery
from reports.rollups import bins
from reports.rollups.refresh import rollups_rebuild, rollups_refresh
from reports.selectors import satisfaction_report, sla_report
from reports.selectors.sla_rollup import segments
from slas.models import Metric, SlaClock
from success.models import Survey
from tests.factories import (
    CustomerFactory,
    OrganizationFactory,
    PolicyFactory,
    TeamFactory,
    TicketFactory,
    TierFactory,
    UserFactory,
)
from tickets.models import Ticket

from .conftest import NOW, WEEK

pytestmark = pytest.mark.django_db
ZONES = ("UTC", "Europe/Berlin", "Asia/Tehran")


def _query(zone: str, period: str = "day", since=date(2026, 10, 20), until=date(2026, 11, 8)):
    return ReportQuery(since=since, until=until, period=period, tz=zone)


def _base(query: ReportQuery) -> dict:
    with override_settings(REPORTS_ROLLUP_ZONES=()):
        return sla_report(query)


def _beat() -> None:
    """What beat does every REPORTS_REFRESH_SECONDS (a report reads the rollups as they are
    while they are younger than REPORTS_MAX_STALENESS_SECONDS: time is frozen here)."""
    with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        rollups_refresh()


def _rolled(query: ReportQuery) -> dict:
    with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        answer = sla_report(query)
        assert RollupZone.objects.filter(zone=query.tz).exists()  # the rollup path answered
        return answer


def _random_world(rng: random.Random) -> None:
    """Tickets over three weeks around the DST change (25 October), every clock state, and
    durations on histogram bin edges (where binned percentiles are exact)."""
    tiers = [TierFactory(name="Gold", rank=30), TierFactory(name="Basic", rank=10), None]
    org = OrganizationFactory(name="Org", tier=tiers[1])
    customers = [CustomerFactory(tier=t) for t in tiers] + [CustomerFactory(organization=org)]
    teams = [TeamFactory(name="Support"), TeamFactory(name="Billing"), None]
    policy = PolicyFactory(name="Std")
    start = datetime(2026, 10, 19, 0, tzinfo=UTC)
    for _ in range(60):
        created = start + timedelta(minutes=rng.randrange(0, 21 * 24 * 60, 15))
        ticket = TicketFactory(
            requester=rng.choice(customers),
            team=rng.choice(teams),
            channel=rng.choice(["email", "chat", "phone"]),
            priority=rng.choice([1, 2, 3, 4]),
        )
        Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
        for metric in rng.sample(list(Metric.values), rng.randint(1, 3)):
            _random_clock(rng, ticket, metric, policy, created)


def _random_clock(rng, ticket, metric, policy, created) -> None:
    target = rng.choice([30, 60, 240])
    due = created + timedelta(minutes=target)
    kind = rng.choice(["met", "late", "marked", "running", "overdue", "paused"])
    fulfilled = breached = paused = None
    if kind in ("met", "late", "marked"):
        # calendar minutes on a bin edge: within the target when met, past it when late
        edges = [e for e in bins.EDGES[:60] if (e <= target) == (kind == "met")]
        fulfilled = created + timedelta(minutes=rng.choice(edges))
    if kind == "marked":
        breached = due
    if kind == "overdue":
        due = NOW - timedelta(hours=1)
    if kind == "running":
        due = NOW + timedelta(days=1)
    if kind == "paused":
        due, paused = NOW - timedelta(hours=2), NOW - timedelta(hours=3)
    SlaClock.objects.create(
        ticket=ticket,
        metric=metric,
        policy=policy,
        target_minutes=60,
        started_at=created,
        segment_started_at=created,
        consumed_minutes=rng.choice(bins.EDGES[:70]),
        due_at=due,
        warn_at=due - timedelta(minutes=15),
        fulfilled_at=fulfilled,
        breached_at=breached,
        paused_since=paused,
        escalation_level=rng.choice([0, 0, 1, 2]) if breached else 0,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_answer_as_the_base_tables_on_random_data(seed):
    with time_machine.travel(NOW, tick=False):
        _random_world(random.Random(seed))
        for zone in ZONES:
            for period in ("day", "week", "month"):
                query = _query(zone, period)
                r, b = _rolled(query), _base(query)
                assert r == b, diff(r, b)[:8]


def diff(a, b, path: str = "") -> list[str]:
    """Where two answers differ (for the assertion message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in {*a, *b} for d in diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_every_write_reaches_the_rollups_update_raw_sql_and_tier_changes():
    with time_machine.travel(NOW, tick=False):
        _random_world(random.Random(7))
        query = _query("Europe/Berlin")
        _rolled(query)  # built
        assert not RollupDirtyDay.objects.exists()
        ticket = Ticket.objects.filter(sla_clocks__fulfilled_at__isnull=False).first()
        Ticket.objects.filter(pk=ticket.pk).update(team=TeamFactory(name="Escalations"))
        ticket.requester.__class__.objects.filter(pk=ticket.requester_id).update(
            tier=TierFactory(name="Platinum", rank=50)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE slas_slaclock SET fulfilled_at = started_at + interval '5 minutes',"
                " breached_at = NULL WHERE fulfilled_at IS NULL"
            )
        assert RollupDirtyDay.objects.exists()
        _beat()
        answer = _rolled(query)
        assert answer == _base(query)
        assert "Escalations" in {row["team"] for row in answer["by"]["team"]["first_response"]
                                 + answer["by"]["team"]["resolution"]
                                 + answer["by"]["team"]["next_response"]}  # fmt: skip
        assert answer["metrics"]["resolution"]["running"] == 0


def test_a_ticket_counts_on_its_local_day_in_a_half_hour_zone():
    # 20:45 UTC on 2 November is 00:15 on 3 November in Tehran (+03:30)
    policy = PolicyFactory(name="Std")
    ticket = TicketFactory()
    created = datetime(2026, 11, 2, 20, 45, tzinfo=UTC)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    SlaClock.objects.create(
        ticket=ticket, metric=Metric.FIRST_RESPONSE, policy=policy, target_minutes=60,
        started_at=created, segment_started_at=created, consumed_minutes=15,
        due_at=created + timedelta(hours=1), warn_at=created,
        fulfilled_at=created + timedelta(minutes=15),
    )  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        for zone, day in (("Asia/Tehran", "2026-11-03"), ("UTC", "2026-11-02")):
            series = _rolled(_query(zone))["by"]["period"]["first_response"]
            assert [row["period"] for row in series if row["met"]] == [day]
    assert SlaRollup.objects.filter(zone="Asia/Tehran", day=date(2026, 11, 3)).exists()


def test_the_constructed_world_is_answered_from_the_rollups(world, frozen):
    query = ReportQuery(since=date(2026, 11, 2), until=date(2026, 11, 8), period="day", tz="UTC")
    assert WEEK["tz"] == "UTC"
    answer = _rolled(query)
    assert SlaRollup.objects.filter(zone="UTC").count() > 0
    assert answer == _base(query)


def test_rebuild_gives_the_same_rows_as_the_triggers_kept():
    with time_machine.travel(NOW, tick=False), override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        _random_world(random.Random(11))
        rollups_refresh()
        kept = sorted(SlaRollup.objects.values_list(*_row_fields()), key=str)
        rollups_rebuild()
        assert sorted(SlaRollup.objects.values_list(*_row_fields()), key=str) == kept


@pytest.mark.parametrize("build", [rollups_rebuild, rollups_refresh], ids=["rebuild", "new zone"])
def test_a_rebuild_leaves_the_planner_statistics_of_what_it_wrote(build):
    """A rebuild, or a refresh that builds a newly configured zone, fills whole tables: it
    analyzes them, so that the first reports after it are not planned on the empty (or old)
    table's estimate."""
    from reports.rollups.refresh import ROLLUPS

    tables = [m._meta.db_table for m in ROLLUPS]

    def reltuples() -> dict[str, float]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [tables]
            )
            return dict(cursor.fetchall())

    # the planner's picture of empty tables first (ANALYZE writes it in place, outside the
    # test's transaction: so whatever an earlier run left)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608 - our own table names
            cursor.execute(f'ANALYZE "{table}"')
    assert set(reltuples().values()) == {0}
    with time_machine.travel(NOW, tick=False), override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        _random_world(random.Random(3))
        RollupZone.objects.all().delete()  # (for the refresh: every zone is new)
        build()
        after = reltuples()
        rows = SlaRollup.objects.count()
        surveys = SurveyRollup.objects.count()
    assert rows > 0
    assert after["reports_slarollup"] == rows  # a small table is sampled whole
    assert after["reports_surveyrollup"] == surveys
    assert all(n >= 0 for n in after.values()), after


def _row_fields() -> list[str]:
    return [f.name for f in SlaRollup._meta.fields if f.name != "id"]


def test_histogram_columns_match_the_bins_and_percentiles_match_percentile_cont():
    assert len([f for f in SlaRollup._meta.fields if f.name.startswith("b")]) == bins.BINS + 1
    # "breached" also starts with b: bins + 1 fields
    rng = random.Random(5)
    values = [rng.uniform(0, 3000) for _ in range(501)]
    counts = [0] * bins.BINS
    for value in values:
        counts[bins.bin_of(value)] += 1
    floored = sorted(bins.EDGES[bins.bin_of(v)] for v in values)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FROM unnest(%s::float8[]) v",
            [floored],
        )
        assert bins.percentile(counts, 0.9) == pytest.approx(cursor.fetchone()[0])


def test_segments_use_whole_months_and_days_around_them():
    parts = segments(date(2026, 1, 30), date(2026, 4, 2))
    assert parts == [
        (0, date(2026, 1, 30)), (0, date(2026, 1, 31)), (1, date(2026, 2, 1)),
        (1, date(2026, 3, 1)), (0, date(2026, 4, 1)), (0, date(2026, 4, 2)),
    ]  # fmt: skip


def test_beat_refreshes_the_rollups_as_a_task(settings):
    from reports.tasks import rollups_refresh as task

    entry = settings.CELERY_BEAT_SCHEDULE["reports-rollups-refresh"]
    assert entry["task"] == task.name
    with time_machine.travel(NOW, tick=False), override_settings(REPORTS_ROLLUP_ZONES=ZONES):
        _random_world(random.Random(3))
        assert RollupDirtyDay.objects.exists()
        result = task.delay().get()
        assert result["zones"] == list(ZONES)
        assert not RollupDirtyDay.objects.exists()
        assert SlaRollup.objects.filter(zone="Asia/Tehran").exists()


def _random_surveys(rng: random.Random) -> None:
    agents = [UserFactory(username=f"agent{i}") for i in range(2)] + [None]
    for ticket in Ticket.objects.all():
        Ticket.objects.filter(pk=ticket.pk).update(assignee=rng.choice(agents))
        if rng.random() < 0.3:
            continue
        sent = ticket.created_at + timedelta(minutes=rng.randrange(0, 3 * 24 * 60, 15))
        answered = rng.random() < 0.7
        Survey.objects.create(
            ticket=ticket, customer=ticket.requester, sent_at=sent,
            expires_at=sent + timedelta(days=30),
            csat=rng.choice([None, 1, 2, 3, 4, 5]) if answered else None,
            ces=rng.choice([None, 1, 4, 7]) if answered else None,
            nps=rng.choice([None, 0, 6, 7, 9, 10]) if answered else None,
            answered_at=sent + timedelta(hours=1) if answered else None,
        )  # fmt: skip


@pytest.mark.parametrize("seed", [4, 5])
def test_satisfaction_from_rollups_answers_as_the_base_tables(seed):
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(seed)
        _random_world(rng)
        _random_surveys(rng)
        for zone in ZONES:
            for period in ("day", "week", "month"):
                query = _query(zone, period)
                with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
                    rolled = satisfaction_report(query)
                assert SurveyRollup.objects.filter(zone=zone).exists()
                with override_settings(REPORTS_ROLLUP_ZONES=()):
                    base = satisfaction_report(query)
                assert rolled == base, diff(rolled, base)[:8]
        # a write of any kind reaches the next answer: a reassignment, a late answer
        survey = Survey.objects.filter(answered_at__isnull=True).first()
        Survey.objects.filter(pk=survey.pk).update(csat=1, answered_at=NOW)
        Ticket.objects.filter(pk=survey.ticket_id).update(assignee=None, channel="web")
        _beat()
        query = _query("Asia/Tehran")
        with override_settings(REPORTS_ROLLUP_ZONES=ZONES):
            rolled = satisfaction_report(query)
        with override_settings(REPORTS_ROLLUP_ZONES=()):
            assert rolled == satisfaction_report(query)
