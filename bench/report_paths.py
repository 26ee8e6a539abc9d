"""The reports' rollup paths next to main's, in the same run: `python -m bench report_paths`.

On the database `python -m bench reports` seeded (BENCH_REPORTS_DATABASE_URL; it must hold
the seeded world and its rollups: this module neither seeds nor rebuilds), in this process
(DEBUG off), each selector called directly, interleaved with its reference, p50 of
BENCH_REPORT_PATHS_CALLS calls (default 3):
- success: the retention read from its rollup against the base-table query (and the whole
  report against the whole report with REPORTS_ROLLUP_ZONES=(): the base tables), 30 and 365
  days, answers compared;
- agents with two and four filters: the full-key rollup rows against the base tables (answers
  compared but the p50s, which the rollup reads from histogram bins);
- SLA with a team and a channel: the key index (`sla_rollup_key_idx`, filter columns checked in
  the index) against main's `(zone, grain, day, cuboid)` index, built in a transaction that is
  rolled back (the same rows, the same query).
BENCH_REPORT_PATHS (default `success,agents,sla`) picks which. The zone is UTC.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

from .reports import DATABASE_URL, _setup_django

CALLS = int(os.environ.get("BENCH_REPORT_PATHS_CALLS", "3"))
PARTS = os.environ.get("BENCH_REPORT_PATHS", "success,agents,sla").split(",")


def _query(days: int, period: str = "day", **filters):
    from reports.params import ReportQuery

    today = date.today()
    return ReportQuery(
        since=today - timedelta(days=days - 1), until=today, period=period, tz="UTC", **filters
    )


def _pair(label: str, new: Callable, old: Callable, same: Callable[[object, object], bool]):
    """Both, interleaved, after one warm-up call each: a row with old as the reference."""
    a, b = new(), old()
    fast, slow = [], []
    for _ in range(CALLS):
        started = time.perf_counter()
        a = new()
        fast.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        b = old()
        slow.append((time.perf_counter() - started) * 1000)
    p50, ref = statistics.median(fast), statistics.median(slow)
    row = {
        "benchmark": label,
        "value": p50,
        "unit": f"ms p50 ({', '.join(f'{x:.0f}' for x in fast)}), same answer: {same(a, b)}",
        "reference": f"main's path p50 {ref:.0f} ms",
        "ratio": p50 / ref if ref else 0,
    }
    print(f"  {row['benchmark']}: {row['value']:.0f} {row['unit']} | {row['reference']}")
    return row


def _base(fn: Callable, query) -> Callable:
    from django.test import override_settings

    def call():
        with override_settings(REPORTS_ROLLUP_ZONES=()):
            return fn(query)

    return call


def _success_rows() -> list[dict]:
    from reports.selectors import success_report
    from reports.selectors.success import _previous_period, _retention_from_tables
    from reports.selectors.success_rollup import retention_from_rollups

    def rows(found):
        return sorted((p, str(tier), int(b), int(a)) for p, tier, b, a in found)

    def answer(found):
        return {k: v for k, v in found.items() if k != "fresh_as_of"}

    out = []
    for days, period in ((30, "day"), (365, "day"), (365, "week"), (365, "month")):
        query = _query(days, period)
        previous = _previous_period(query.periods()[0], query.period)
        out.append(
            _pair(
                f"success retention, {days} days by {period}",
                lambda q=query, p=previous: retention_from_rollups(q, "default", p),
                lambda q=query, p=previous: _retention_from_tables(q, "default", p),
                lambda a, b: rows(a) == rows(b),
            )
        )
    for days in (30, 365):
        query = _query(days)
        out.append(
            _pair(
                f"success report, {days} days",
                lambda q=query: success_report(q),
                _base(success_report, query),
                lambda a, b: answer(a) == answer(b),
            )
        )
    return out


def _agents_rows() -> list[dict]:
    from reports.selectors import agents_report
    from slas.models import SlaTier
    from tickets.models import Team

    tier = SlaTier.objects.get(name="Tier 10").pk
    team = Team.objects.get(name="Team 1").pk
    out = []
    for days in (30, 365):
        for label, filters in (
            ("team+channel", {"team": team, "channel": "chat"}),
            ("4 filters", {"team": team, "channel": "chat", "tier": tier, "priority": 2}),
        ):
            query = _query(days, **filters)
            out.append(
                _pair(
                    f"agents {label}, {days} days",
                    lambda q=query: agents_report(q),
                    _base(agents_report, query),
                    lambda a, b: _counts(a) == _counts(b),
                )
            )
    return out


def _p50(call: Callable) -> tuple[float, object]:
    answer, samples = call(), []
    for _ in range(CALLS):
        started = time.perf_counter()
        answer = call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), answer


def _counts(answer: dict) -> list[dict]:
    """The agents' figures but the p50s (the rollup's come from histogram bins: at most one
    bin low, reports/rollups/bins.py; the base tables' are exact)."""
    return [{k: v for k, v in row.items() if not k.endswith("_p50")} for row in answer["agents"]]


def _sla_rows() -> list[dict]:
    from django.db import connection, transaction

    from reports.selectors import sla_report
    from tickets.models import Team

    team = Team.objects.get(name="Team 1").pk
    queries = {days: _query(days, team=team, channel="chat") for days in (30, 365)}
    before = {days: _p50(lambda q=q: sla_report(q)) for days, q in queries.items()}
    with transaction.atomic():  # main's index instead (one build for both windows), rolled back
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX sla_rollup_key_idx")
            cursor.execute(
                "CREATE INDEX sla_rollup_cuboid_idx ON reports_slarollup (zone, grain, day, cuboid)"
            )
            cursor.execute("ANALYZE reports_slarollup")
        mains = {days: _p50(lambda q=q: sla_report(q)) for days, q in queries.items()}
        transaction.set_rollback(True)
    after = {days: _p50(lambda q=q: sla_report(q)) for days, q in queries.items()}
    out = []
    for days in queries:
        (first, new), (reference, old), (second, _) = before[days], mains[days], after[days]
        same = {**new, "fresh_as_of": None} == {**old, "fresh_as_of": None}
        p50 = statistics.median([first, second])
        row = {
            "benchmark": f"sla team+channel, {days} days",
            "value": p50,
            "unit": f"ms p50 (before and after main's: {first:.0f}, {second:.0f}), "
            f"same answer: {same}",
            "reference": f"main's index p50 {reference:.0f} ms",
            "ratio": p50 / reference if reference else 0,
        }
        print(f"  {row['benchmark']}: {row['value']:.0f} {row['unit']} | {row['reference']}")
        out.append(row)
    return out


def run(*, runs: int = 3) -> list[dict]:
    os.environ.setdefault("REPORTS_ROLLUP_ZONES", "UTC")
    os.environ.setdefault("REPORTS_MAX_STALENESS_SECONDS", "86400")  # no inline refresh
    _setup_django()
    print(f"  {DATABASE_URL}, load average {os.getloadavg()}")
    rows: list[dict] = []
    for part, measure in (("success", _success_rows), ("agents", _agents_rows),
                          ("sla", _sla_rows)):  # fmt: skip
        if part in PARTS:
            rows += measure()
    return rows
