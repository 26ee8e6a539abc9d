"""The few date formats the desk's rows show, written as Django's dateformat writes them.

The queue shows one due time per row, the ticket page two per message and per audit event:
django.utils.dateformat parses the format string with a regex and looks each weekday and
month name up in the catalogue on every call, a tenth of the ticket page's time. These give
the same text (tests/desk/test_dates.py compares them for each desk language, zone and DST
edge): names in the active language, read once per process and language; the zone's
abbreviation, or none where the local time is ambiguous or skipped, as Django gives it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.timezone import get_default_timezone
from django.utils.translation import get_language


@cache
def _names(language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Weekday abbreviations (Monday first) and three-letter months (January at 1), as
    dateformat's D and M give them in `language` (the active one when this is called)."""
    weekdays = tuple(str(WEEKDAYS_ABBR[day]) for day in range(7))
    months = ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))
    return weekdays, months


def _zone(local: datetime) -> str:
    """dateformat's T: the zone's name (the default zone's for a naive time), empty where
    the time is ambiguous or imaginary."""
    zone = local.tzinfo if local.utcoffset() is not None else get_default_timezone()
    if zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local):
        return ""
    return str(zone.tzname(local))


def weekday_time(local: datetime) -> str:
    """Format "D H:i": "Thu 16:00"."""
    weekdays, _months = _names(get_language())
    return f"{weekdays[local.weekday()]} {local.hour:02d}:{local.minute:02d}"


def weekday_date_time(local: datetime) -> str:
    """Format "D j M H:i": "Thu 3 Dec 16:00"."""
    weekdays, months = _names(get_language())
    return (
        f"{weekdays[local.weekday()]} {local.day} {months[local.month]} "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def stamp(local: datetime) -> str:
    """Format "Y-m-d H:i T": "2026-12-03 16:00 EET"."""
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d} {_zone(local)}"
    )


def stamp_seconds(local: datetime) -> str:
    """Format "Y-m-d H:i:s T": "2026-12-03 16:00:05 EET"."""
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {_zone(local)}"
    )
