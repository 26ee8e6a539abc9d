"""Duration histograms of the SLA rollups: fixed bins, and percentiles read from them.

A duration (business or calendar minutes) counts in the bin whose lower edge is the largest
edge not above it, and a percentile is PostgreSQL's `percentile_cont` over the durations
*rounded down to their bin's lower edge*: so a percentile from the rollups is exact when every
duration sits on an edge (whole minutes under 10 minutes, multiples of 5 under an hour...), and
otherwise at most one bin width below the exact figure. Resolution (bin width) by range:

| durations      | bin width |
|----------------|-----------|
| 0-10 min       | 1 min     |
| 10-60 min      | 5 min     |
| 1-4 h          | 10 min    |
| 4-8 h          | 30 min    |
| 8-24 h         | 1 h       |
| 1-2 days       | 4 h       |
| 2-7 days       | 1 day     |
| 7-14, 14-30 days, over 30 days | one bin each |
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _edges() -> tuple[float, ...]:
    edges: list[float] = []
    for start, stop, step in (
        (0, 10, 1),
        (10, 60, 5),
        (60, 240, 10),
        (240, 480, 30),
        (480, 1440, 60),
        (1440, 2880, 240),
        (2880, 10080, 1440),
    ):
        edges.extend(range(start, stop, step))
    edges.extend((10080, 20160, 43200))
    return tuple(float(e) for e in edges)


EDGES = _edges()
BINS = len(EDGES)


def bin_of(minutes: float) -> int:
    """The bin index of a duration (negative durations count as 0), as SQL's width_bucket."""
    value = max(minutes, 0.0)
    low, high = 0, BINS - 1
    while low < high:  # the largest edge <= value
        mid = (low + high + 1) // 2
        if EDGES[mid] <= value:
            low = mid
        else:
            high = mid - 1
    return low


def percentile(counts: Sequence[int], fraction: float) -> float | None:
    """percentile_cont(fraction) over the histogram's durations, each at its bin's lower edge."""
    total = sum(counts)
    if total <= 0:
        return None
    position = fraction * (total - 1)
    below, above = math.floor(position), math.ceil(position)
    return _value_at(counts, below) + (position - below) * (
        _value_at(counts, above) - _value_at(counts, below)
    )


def _value_at(counts: Sequence[int], rank: int) -> float:
    """The lower edge of the bin holding the rank-th duration (0-based, ascending)."""
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if rank < seen:
            return EDGES[index]
    return EDGES[len(counts) - 1]
