"""Where a ticket search's time goes, per sampled query (bench/search.py's breakdown).

For each query string the search bench sampled: its p50 and max in the timed requests, then
PROFILE_REPEAT more requests with every statement captured (Django's CaptureQueriesContext:
the statement's own wall time as the driver saw it), filed by what the statement is for.
What the statements do not account for is Python: DRF, the filter, the serializer. Then
EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of the slowest profiled requests, so a
tail can be told apart: a plan that reads too much, a cold buffer, JIT compilation.
"""

from __future__ import annotations

import gc
import statistics
import time

PHASES = ("candidates", "identities", "page", "prefetch", "count", "highlights", "other")


class GcClock:
    """Milliseconds this process spent in the cyclic garbage collector (gc.callbacks), so a
    request's time can be split into its statements, the collector and the rest."""

    def __init__(self) -> None:
        self.ms = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.ms += (time.perf_counter() - self._started) * 1000
            self.collections += 1 if info.get("generation") == 2 else 0


def phase_of(sql: str) -> str:
    """What a captured statement of a search request is for, from its text."""
    text = sql.lower()
    if "ts_headline" in text:
        return "highlights"
    if "ts_rank_cd" in text or "max(ticket_id)" in text or "tickets_ticketsearch" in text:
        return "candidates"  # the text matches with their ranking (and the newest id)
    if "count(" in text:
        return "count"
    if "like upper(" in text or ("customers_customer" in text and " union " in text):
        return "identities"
    if ("array_position(" in text or "case when" in text) and '"tickets_ticket"' in text:
        return "page"  # the page of tickets in result order, with its select_related
    if " in (" in text and ("customeridentity" in text or "tickets_tag" in text):
        return "prefetch"
    if '"tickets_ticket"' in text and '"requester_id" in (' in text:
        return "identities"  # the matched customers' tickets
    return "other"  # auth token, the agent's teams, health check


def report(
    world: dict, queries: dict, per_query: dict, clock: GcClock, *, repeat: int, explain: int
) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print("\nsearch breakdown: per query string; timed p50/max (ms) from the run above and the")
    print("garbage collector's share of the slowest of them (gc@max); profiled: medians of")
    print(f"{repeat} more requests with statements captured (ms); python = total - statements - gc")
    print(_header(), flush=True)
    profiled = []  # (total ms, role, item, [(ms, sql)])
    for role in ("agent", "manager"):
        client = Client(headers={"Authorization": f"Token {world[role]}"})
        for kind, items in queries.items():
            for item in dict.fromkeys(items):
                pairs = per_query.get((role, kind, item), [])
                timed = [ms for ms, _ in pairs]
                slowest_gc = max(pairs)[1] if pairs else 0.0
                totals, phases = [], {phase: [] for phase in (*PHASES, "gc", "python")}
                for _ in range(repeat):
                    with CaptureQueriesContext(connection) as captured:
                        collector = clock.ms
                        started = time.perf_counter()
                        response = client.get("/api/v1/tickets/", {"search": item})
                        total = (time.perf_counter() - started) * 1000
                        collector = clock.ms - collector
                    assert response.status_code == 200, response.content[:300]
                    statements = [(float(q["time"]) * 1000, q["sql"]) for q in captured]
                    spent = dict.fromkeys(PHASES, 0.0)
                    for ms, sql in statements:
                        spent[phase_of(sql)] += ms
                    spent["gc"] = collector
                    spent["python"] = total - sum(ms for ms, _ in statements) - collector
                    for phase, ms in spent.items():
                        phases[phase].append(ms)
                    totals.append(total)
                    profiled.append((total, role, item, statements))
                line = _line(role, item, timed, slowest_gc, totals, phases, len(statements))
                print(line, flush=True)
    _explain_slowest(connection, profiled, explain)


def _header() -> str:
    columns = " ".join(f"{p[:6]:>6}" for p in (*PHASES, "gc", "python"))
    timed = f"{'n':>3} {'p50':>6} {'max':>6} {'gc@max':>6}"
    return f"{'role':<7} {'query':<26} {timed} | {'total':>6} {columns} stm"


def _line(role, item, timed, slowest_gc, totals, phases, count) -> str:
    p50 = statistics.median(timed) if timed else 0.0
    worst = max(timed) if timed else 0.0
    split = " ".join(f"{statistics.median(phases[p]):6.1f}" for p in (*PHASES, "gc", "python"))
    total = statistics.median(totals)
    timed_part = (
        f"{role:<7} {item[:26]:<26} {len(timed):>3} {p50:6.1f} {worst:6.1f} {slowest_gc:6.1f}"
    )
    return f"{timed_part} | {total:6.1f} {split} {count:>3}"


def _explain_slowest(connection, profiled: list, count: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of each of the `count` slowest
    profiled requests (one per query string)."""
    seen = set()
    for total, role, item, statements in sorted(profiled, key=lambda p: -p[0]):
        if len(seen) >= count:
            break
        if (role, item) in seen or not statements:
            continue
        seen.add((role, item))
        ms, sql = max(statements, key=lambda s: s[0])
        print(
            f"\n--- {role} {item!r}: request {total:.1f} ms, slowest statement {ms:.1f} ms "
            f"({phase_of(sql)}):"
        )
        print(sql if len(sql) < 3000 else sql[:3000] + " ...")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                print("    " + line)
    print(flush=True)
