"""Business-time arithmetic: pure functions over a calendar spec (no Django models here).

A calendar is an IANA time zone, weekly working intervals in local wall-clock time (several
per day; an interval whose end is not after its start runs overnight into the next day),
and holidays (a country/subdivision from the `holidays` package plus custom dates), or 24/7.

Rules, chosen so the arithmetic stays exact and monotonic:
- An interval belongs to the local date it starts on; when that date is a holiday the whole
  interval is skipped (an overnight shift starting on Christmas Eve is worked in full).
- Local times are converted to UTC with zoneinfo's default (fold=0): an interval starting in
  a spring-forward gap starts at the instant the wall clock shows that time after the jump is
  resolved the standard way; intervals are merged after conversion, so overlaps caused by a
  DST change never count twice.
- `add_business_minutes(t, 0)` is `t` inside working time and the next opening outside it;
  a due time can be exactly a closing time.

All instants in and out are aware datetimes; results are in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# A calendar that never opens (or only on holidays) would loop forever: give up after this.
MAX_SEARCH_DAYS = 3 * 366


class CalendarError(ValueError):
    """The spec cannot produce working time (no intervals, unknown zone or country)."""


@dataclass(frozen=True)
class Interval:
    """Working time on one weekday (0 = Monday), minutes after local midnight.

    `end_minute <= start_minute` means the interval runs overnight into the next day
    (`end_minute` 0 is midnight). `end_minute` may be 1440 (the end of the day).
    """

    weekday: int
    start_minute: int
    end_minute: int

    @property
    def overnight(self) -> bool:
        return self.end_minute <= self.start_minute

    @property
    def length(self) -> int:
        end = self.end_minute + (MINUTES_PER_DAY if self.overnight else 0)
        return end - self.start_minute

    @classmethod
    def from_times(cls, weekday: int, start: time, end: time) -> Interval:
        return cls(weekday, start.hour * 60 + start.minute, end.hour * 60 + end.minute)


@dataclass(frozen=True)
class CalendarSpec:
    time_zone: str = "UTC"
    intervals: tuple[Interval, ...] = ()
    always_open: bool = False  # 24/7: business time is calendar time
    holiday_country: str = ""
    holiday_subdivision: str = ""
    custom_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Hashable whatever the caller passed (a set, a list): specs key the day cache.
        object.__setattr__(self, "intervals", tuple(self.intervals))
        object.__setattr__(self, "custom_holidays", frozenset(self.custom_holidays))

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)

    def is_holiday(self, day: date) -> bool:
        if day in self.custom_holidays:
            return True
        if self.holiday_country:
            return day in _country_holidays(self.holiday_country, self.holiday_subdivision)
        return False

    def check(self) -> None:
        """Raise CalendarError when the spec cannot be used."""
        self.zone  # noqa: B018 - raises for an unknown zone
        if self.always_open:
            return
        if not self.intervals:
            raise CalendarError("A calendar needs working intervals or to be open 24/7.")
        for interval in self.intervals:
            if not 0 <= interval.weekday <= 6:
                raise CalendarError(f"Weekday {interval.weekday} is not 0 (Monday) to 6.")
            if not (0 <= interval.start_minute < MINUTES_PER_DAY) or not (
                0 <= interval.end_minute <= MINUTES_PER_DAY
            ):
                raise CalendarError("Interval times must lie within the day.")
        if self.holiday_country:
            _country_holidays(self.holiday_country, self.holiday_subdivision)


TWENTY_FOUR_SEVEN = CalendarSpec(always_open=True)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise CalendarError(f"Unknown time zone {name!r}.") from exc


@lru_cache(maxsize=64)
def _country_holidays(country: str, subdivision: str):
    """The `holidays` package's calendar; it expands to a year lazily on first lookup."""
    import holidays  # on first use: its 75 ms import is paid only where a calendar has holidays

    try:
        return holidays.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError as exc:
        raise CalendarError(
            f"No holidays known for {country!r}"
            + (f" / {subdivision!r}" if subdivision else "")
            + "."
        ) from exc


def overlapping_intervals(intervals: tuple[Interval, ...] | list[Interval]) -> list[tuple]:
    """Pairs of intervals that overlap on the weekly circle (overnight ones included)."""

    def spans(interval: Interval) -> list[tuple[int, int]]:
        start = interval.weekday * MINUTES_PER_DAY + interval.start_minute
        end = start + interval.length
        week = 7 * MINUTES_PER_DAY
        if end <= week:
            return [(start, end)]
        return [(start, week), (0, end - week)]

    found = []
    items = list(intervals)
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            if any(a < d and c < b for a, b in spans(first) for c, d in spans(second)):
                found.append((first, second))
    return found


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _day_windows(spec: CalendarSpec, day: date) -> list[tuple[datetime, datetime]]:
    if spec.is_holiday(day):
        return []
    windows = []
    for interval in spec.intervals:
        if interval.weekday != day.weekday():
            continue
        start = _local(day, interval.start_minute, spec.zone)
        end = _local(day, interval.start_minute + interval.length, spec.zone)
        if end > start:
            windows.append((start, end))
    return windows


Window = tuple[datetime, datetime]


@lru_cache(maxsize=4096)
def _day_plan(spec: CalendarSpec, day: date) -> tuple[tuple[Window, ...], datetime]:
    """A local day's working windows in UTC, sorted, and the next local midnight: the same
    for every clock on a calendar, so computed once per process (a create schedules two
    clocks over a few days each; a sweep thousands over the same days)."""
    windows = tuple(sorted(_day_windows(spec, day)))
    return windows, _local(day + timedelta(days=1), 0, spec.zone)


def _merged(
    pending: Window | None, day_windows: Sequence[Window]
) -> tuple[Window | None, list[Window]]:
    """Fold one day's sorted windows into the one still open: returns the window still open
    (it may go on into the next day) and those it closed, in order."""
    closed = []
    for start, end in day_windows:
        if pending is None:
            pending = (start, end)
        elif start <= pending[1]:
            pending = (pending[0], max(pending[1], end))
        else:
            closed.append(pending)
            pending = (start, end)
    return pending, closed


def windows(spec: CalendarSpec, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working windows in UTC, in order, merged, the first one ending after `since`."""
    if spec.always_open:
        yield since.astimezone(UTC), datetime.max.replace(tzinfo=UTC)
        return
    if not spec.intervals:
        raise CalendarError("A calendar needs working intervals or to be open 24/7.")
    since = since.astimezone(UTC)
    # Start a day early: yesterday's overnight interval may still be running.
    day = since.astimezone(spec.zone).date() - timedelta(days=1)
    pending: tuple[datetime, datetime] | None = None
    empty_days = 0
    while True:
        day_windows, next_midnight = _day_plan(spec, day)
        empty_days = 0 if day_windows else empty_days + 1
        if empty_days > MAX_SEARCH_DAYS:
            raise CalendarError("The calendar has no working time in the next three years.")
        pending, closed = _merged(pending, day_windows)
        yield from (window for window in closed if window[1] > since)
        # Windows of later days start no earlier than the next local midnight minus nothing:
        # an interval starts on its own day, so anything pending that ends before the next
        # day's first possible start is final.
        if pending is not None and pending[1] < next_midnight:
            if pending[1] > since:
                yield pending
            pending = None
        day += timedelta(days=1)


def add_business_minutes(start: datetime, minutes: float, spec: CalendarSpec) -> datetime:
    """The instant `minutes` of working time after `start` (UTC).

    Outside working time counting starts at the next opening; with 0 minutes the result is
    `start` itself when it is inside working time, else that next opening.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    remaining = timedelta(minutes=minutes)
    start = start.astimezone(UTC)
    if spec.always_open:
        return start + remaining
    for window_start, window_end in windows(spec, start):
        begin = max(window_start, start)
        if begin + remaining <= window_end:
            return begin + remaining
        remaining -= window_end - begin
    raise AssertionError("unreachable: windows() is endless or raises")  # pragma: no cover


def business_minutes_between(a: datetime, b: datetime, spec: CalendarSpec) -> float:
    """Working minutes in [a, b); 0 when b is not after a."""
    if b <= a:
        return 0.0
    if spec.always_open:
        return (b - a).total_seconds() / 60
    total = timedelta()
    for window_start, window_end in windows(spec, a):
        if window_start >= b:
            break
        total += min(window_end, b) - max(window_start, a)
    return total.total_seconds() / 60


def is_open(at: datetime, spec: CalendarSpec) -> bool:
    """Whether `at` is working time."""
    if spec.always_open:
        return True
    window_start, _ = next(windows(spec, at))
    return window_start <= at
