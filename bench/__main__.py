"""`python -m bench [name ...]` (or `make bench`): run benchmarks and print one table.

Each benchmark starts its own processes on loopback against the machine's PostgreSQL and
Redis, drives a bounded load from this process, and reports medians of several runs next to
a reference measured in the same run. Results are also written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from . import (
    api,
    automations,
    desk_pages,
    email_intake,
    followups_sim,
    knowledge_search,
    light,
    live,
    memory,
    peer,
    report_paths,
    reports,
    search,
    sla_sweep,
)

BENCHMARKS = {
    "api": api.run,
    "sla": sla_sweep.run,
    "email_intake": email_intake.run,
    "desk_pages": desk_pages.run,
    "reports": reports.run,
    "report_paths": report_paths.run,
    "followups_sim": followups_sim.run,
    "knowledge_search": knowledge_search.run,
    "automations": automations.run,
    "search": search.run,
    "live": live.run,
    "peer": peer.run,
    "memory": memory.run,
    "light": light.run,
}
# The 90-day simulation takes about ten minutes, and the side by side with django-helpdesk
# installs it from PyPI and takes about as long: run them by name (`python -m bench peer`). The
# memory bench's figures are one run's peaks, not medians: run it by name on its own too.
# `report_paths` reads the database `reports` seeded: run it by name after that one.
DEFAULT = [
    name for name in BENCHMARKS if name not in ("followups_sim", "peer", "memory", "report_paths")
]


def _format(row: dict) -> str:
    if "rps" in row:
        figures = (
            f"{row['rps']:8.1f} req/s  p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms"
        )
    else:
        figures = f"{row['value']:10.2f} {row['unit']}"
    extra = ""
    if "reference" in row:
        extra = f"  | ref: {row['reference']}"
        if "ratio" in row:
            extra += f"  ratio {row['ratio']:.2f}"
    return f"{row['benchmark']:<42} {figures}{extra}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        help=f"which benchmarks (default: {', '.join(DEFAULT)}; also: followups_sim, peer, "
        "memory, report_paths)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args()
    names = args.names or DEFAULT
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    rows = []
    for name in names:
        rows.extend(BENCHMARKS[name](runs=args.runs))
    print(
        f"\nbench on {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} cores), {time.monotonic() - started:.0f} s\n"
    )
    for row in rows:
        print(_format(row))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
