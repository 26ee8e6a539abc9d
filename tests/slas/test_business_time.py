"""Business-time arithmetic: examples, then properties across DST changes and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slas.business_time import (
    CalendarError,
    CalendarSpec,
    Interval,
    add_business_minutes,
    business_minutes_between,
    is_open,
    overlapping_intervals,
)

BERLIN = ZoneInfo("Europe/Berlin")


def office(zone: str = "Europe/Berlin", **kwargs) -> CalendarSpec:
    """Monday to Friday, 09:00-17:00."""
    intervals = tuple(Interval.from_times(d, time(9), time(17)) for d in range(5))
    return CalendarSpec(time_zone=zone, intervals=intervals, **kwargs)


def at(*args, zone=BERLIN) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_adding_within_a_day():
    assert add_business_minutes(at(2026, 3, 2, 10), 60, office()) == at(2026, 3, 2, 11)


def test_counting_starts_at_next_opening_and_skips_the_weekend():
    friday_evening = at(2026, 3, 6, 18)
    assert add_business_minutes(friday_evening, 30, office()) == at(2026, 3, 9, 9, 30)


def test_due_time_may_be_exactly_closing_time():
    assert add_business_minutes(at(2026, 3, 2, 16), 60, office()) == at(2026, 3, 2, 17)


def test_zero_minutes_inside_hours_is_now_and_outside_is_next_opening():
    assert add_business_minutes(at(2026, 3, 2, 10), 0, office()) == at(2026, 3, 2, 10)
    assert add_business_minutes(at(2026, 3, 2, 17), 0, office()) == at(2026, 3, 3, 9)


def test_country_holidays_and_custom_dates_are_skipped():
    # 2026-04-03 is Good Friday, 2026-04-06 Easter Monday (Germany); 04-07 a custom closure.
    spec = office(
        holiday_country="DE", holiday_subdivision="BY", custom_holidays={date(2026, 4, 7)}
    )
    assert add_business_minutes(at(2026, 4, 2, 16), 120, spec) == at(2026, 4, 8, 10)


def test_overnight_interval_runs_into_the_next_day():
    night = CalendarSpec(time_zone="UTC", intervals=(Interval.from_times(0, time(22), time(6)),))
    monday_22 = datetime(2026, 3, 2, 22, tzinfo=UTC)
    assert add_business_minutes(monday_22, 7 * 60, night) == datetime(2026, 3, 3, 5, tzinfo=UTC)
    assert is_open(datetime(2026, 3, 3, 5, tzinfo=UTC), night)
    assert not is_open(datetime(2026, 3, 3, 7, tzinfo=UTC), night)


def test_dst_spring_forward_day_has_one_hour_less_of_night_shift():
    # Berlin springs forward on 2026-03-29 at 02:00 -> 03:00; a Sat 22:00-06:00 shift is 7 h.
    night = CalendarSpec(
        time_zone="Europe/Berlin", intervals=(Interval.from_times(5, time(22), time(6)),)
    )
    start = at(2026, 3, 28, 22)
    assert business_minutes_between(start, at(2026, 3, 29, 6), night) == 7 * 60


def test_twenty_four_seven_is_calendar_time():
    spec = CalendarSpec(always_open=True)
    start = datetime(2026, 10, 25, 0, tzinfo=UTC)
    assert add_business_minutes(start, 1440, spec) == start + timedelta(days=1)


def test_calendar_without_intervals_is_refused():
    with pytest.raises(CalendarError):
        add_business_minutes(datetime(2026, 1, 1, tzinfo=UTC), 5, CalendarSpec())


def test_overlap_detection_covers_overnight_and_week_wrap():
    sunday_night = Interval.from_times(6, time(22), time(2))
    monday_early = Interval.from_times(0, time(1), time(3))
    monday_late = Interval.from_times(0, time(9), time(17))
    assert overlapping_intervals([sunday_night, monday_early, monday_late]) == [
        (sunday_night, monday_early)
    ]


# --- properties -------------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]
HOLIDAYS = [("", ""), ("DE", "BY"), ("US", "NY"), ("AU", "NSW")]


@st.composite
def intervals_for_day(draw, weekday: int) -> list[Interval]:
    """0-3 non-overlapping intervals, on a 30-minute grid, the last possibly overnight."""
    count = draw(st.integers(0, 3))
    cuts = sorted(
        draw(st.lists(st.integers(0, 47), min_size=2 * count, max_size=2 * count, unique=True))
    )
    found = [Interval(weekday, cuts[i] * 30, cuts[i + 1] * 30) for i in range(0, len(cuts), 2)]
    if found and weekday != 6 and draw(st.booleans()):
        # Make the last one run overnight, ending before the next day's first start.
        last = found[-1]
        found[-1] = Interval(weekday, last.start_minute, draw(st.sampled_from([0, 60, 120])))
    return found


@st.composite
def calendars(draw) -> CalendarSpec:
    intervals: list[Interval] = []
    for weekday in range(7):
        intervals.extend(draw(intervals_for_day(weekday)))
    intervals = [i for i in intervals if i.length > 0]
    clashes = overlapping_intervals(intervals)
    for _, second in clashes:
        if second in intervals:
            intervals.remove(second)
    if not intervals:
        intervals = [Interval(0, 9 * 60, 17 * 60)]
    country, subdivision = draw(st.sampled_from(HOLIDAYS))
    custom = draw(st.frozensets(st.dates(date(2025, 12, 1), date(2027, 3, 1)), max_size=10))
    return CalendarSpec(
        time_zone=draw(st.sampled_from(ZONES)),
        intervals=tuple(intervals),
        holiday_country=country,
        holiday_subdivision=subdivision,
        custom_holidays=custom,
    )


# Instants around the 2026 DST changes of the zones above (and in between), to the minute.
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))
dst_instants = st.sampled_from(
    [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # Europe spring forward
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # Europe fall back
        datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # New York spring forward
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York fall back
        datetime(2026, 4, 4, 14, 30, tzinfo=UTC),  # Lord Howe back by 30 minutes
        datetime(2026, 10, 3, 15, 30, tzinfo=UTC),  # Lord Howe forward by 30 minutes
    ]
).flatmap(lambda d: st.integers(-3 * 1440, 3 * 1440).map(lambda m: d + timedelta(minutes=m)))
any_instant = st.one_of(instants, dst_instants)
minutes = st.integers(0, 6000)

PROPERTY_SETTINGS = settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(spec=calendars(), start=any_instant, n=minutes)
def test_adding_then_measuring_gives_back_n(spec, start, n):
    due = add_business_minutes(start, n, spec)
    assert due >= start
    assert business_minutes_between(start, due, spec) == pytest.approx(n, abs=1e-6)


@PROPERTY_SETTINGS
@given(spec=calendars(), start=any_instant, n=minutes, m=minutes)
def test_more_minutes_is_never_earlier(spec, start, n, m):
    low, high = sorted((n, m))
    assert add_business_minutes(start, low, spec) <= add_business_minutes(start, high, spec)


@PROPERTY_SETTINGS
@given(spec=calendars(), start=any_instant, later=st.integers(0, 5000), n=minutes)
def test_later_start_is_never_earlier_due(spec, start, later, n):
    other = start + timedelta(minutes=later)
    assert add_business_minutes(start, n, spec) <= add_business_minutes(other, n, spec)


@PROPERTY_SETTINGS
@given(spec=calendars(), start=any_instant, n=st.integers(1, 6000))
def test_instant_outside_hours_counts_from_the_next_opening(spec, start, n):
    opening = add_business_minutes(start, 0, spec)
    assert is_open(opening, spec)
    assert business_minutes_between(start, opening, spec) == 0
    if not is_open(start, spec):
        assert opening > start
    assert add_business_minutes(start, n, spec) == add_business_minutes(opening, n, spec)


@PROPERTY_SETTINGS
@given(spec=calendars(), start=any_instant, a=minutes, b=st.integers(1, 6000))
def test_adding_in_two_steps_equals_adding_once(spec, start, a, b):
    step = add_business_minutes(add_business_minutes(start, a, spec), b, spec)
    assert step == add_business_minutes(start, a + b, spec)
