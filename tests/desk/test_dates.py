"""desk.dates writes what django.utils.dateformat writes, in every language and zone, on
every weekday and month, and across DST changes (an ambiguous or skipped local time has
no zone name)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat, translation

from desk import dates

FORMATS = {
    dates.weekday_time: "D H:i",
    dates.weekday_date_time: "D j M H:i",
    dates.stamp: "Y-m-d H:i T",
    dates.stamp_seconds: "Y-m-d H:i:s T",
}
ZONES = ["UTC", "Europe/Riga", "America/New_York", "Asia/Tehran", "Australia/Lord_Howe"]


def local_times(zone: ZoneInfo) -> list[datetime]:
    start = datetime(2026, 1, 1, 0, 5, 7, tzinfo=zone)
    year = [start + timedelta(days=n, hours=n % 24, minutes=n % 60) for n in range(0, 370, 9)]
    # Riga's clocks: 03:30 on 29 March does not exist, on 25 October it happens twice.
    edges = [
        datetime(2026, 3, 29, 3, 30, tzinfo=zone),
        datetime(2026, 10, 25, 3, 30, tzinfo=zone),
        datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=zone),
        datetime(2026, 11, 1, 1, 30, tzinfo=zone),  # New York's repeated hour
    ]
    return year + edges


def test_desk_dates_match_django_dateformat():
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for name in ZONES:
                for local in local_times(ZoneInfo(name)):
                    for ours, django_format in FORMATS.items():
                        assert ours(local) == dateformat.format(local, django_format), (
                            language,
                            local,
                            django_format,
                        )


def test_a_naive_time_is_named_in_the_default_zone():
    naive = datetime(2026, 7, 1, 12, 0)
    assert dates.stamp(naive) == dateformat.format(naive, "Y-m-d H:i T")
