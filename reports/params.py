"""Report parameters: parsed once, strictly. An unknown or malformed parameter is a 400 with
the project's error shape (a typo must not quietly answer a different question)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from rest_framework.exceptions import ValidationError

from slas.models import SlaPolicy, SlaTier
from tickets.models import ChannelKind, Priority, Team

PERIODS = ("day", "week", "month")
MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


@dataclass(frozen=True)
class ReportQuery:
    since: date  # first local day, inclusive
    until: date  # last local day, inclusive
    period: str
    tz: str
    tier: int | None = None
    team: int | None = None
    channel: str | None = None
    priority: int | None = None
    agent: int | None = None

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz)

    @property
    def start(self) -> datetime:
        """The window's first instant (local midnight of `since`), in UTC."""
        return local_midnight(self.since, self.zone)

    @property
    def end(self) -> datetime:
        """The instant after the window (local midnight after `until`), in UTC."""
        return local_midnight(self.until + timedelta(days=1), self.zone)

    def periods(self) -> list[date]:
        """Every period that overlaps the window, as its first local day."""
        keys, day = [], period_start(self.since, self.period)
        while day <= self.until:
            keys.append(day)
            day = next_period(day, self.period)
        return keys

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "period": self.period,
            "tz": self.tz,
            "tier": self.tier,
            "team": self.team,
            "channel": self.channel,
            "priority": Priority(self.priority).label if self.priority else None,
            "agent": self.agent,
        }


def local_midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def next_period(day: date, period: str) -> date:
    if period == "week":
        return day + timedelta(days=7)
    if period == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def default_time_zone() -> str:
    """The default SLA policy's calendar zone (the managers' working time), else UTC."""
    policy = (
        SlaPolicy.objects.filter(is_default=True, is_current=True, calendar__isnull=False)
        .values_list("calendar__time_zone", flat=True)
        .first()
    )
    return policy or "UTC"


# Which parameters each report takes (the OpenAPI parameters are built from the same names).
WINDOW = ("since", "until", "period", "tz")
FILTERS = ("tier", "team", "channel", "priority")


def parse_report_query(
    params, *, allowed: tuple[str, ...], default_days: int = 30, default_period: str = "day"
) -> ReportQuery:
    """Validate a report's query string into a ReportQuery, or raise a 400 naming every bad
    parameter. `days` (1-730, the satisfaction report's historical parameter) is the window
    ending today, an alternative to since/until."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for name in params:
        given = params.getlist(name)
        if name not in allowed:
            errors[name] = [f"Unknown parameter; this report takes: {', '.join(allowed)}."]
        elif len(given) != 1:
            errors[name] = ["Give this parameter once."]
        elif given[0].strip():  # empty means "not given", as an HTML form sends it
            values[name] = given[0].strip()

    tz = values.get("tz") or None
    if tz is not None:
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["tz"] = ["Not an IANA time zone (e.g. Europe/Berlin)."]
            tz = "UTC"
    tz = tz or default_time_zone()
    today = datetime.now(zoneinfo.ZoneInfo(tz)).date()

    period = values.get("period") or default_period
    if period not in PERIODS:
        errors["period"] = [f"One of: {', '.join(PERIODS)}."]

    since, until = _window(values, today, default_days, errors)
    filters = {
        "tier": _object_id(values, "tier", SlaTier, errors),
        "team": _object_id(values, "team", Team, errors),
        "agent": _agent(values, errors),
        "channel": _choice(values, "channel", ChannelKind.values, errors),
        "priority": _priority(values, errors),
    }
    if errors:
        raise ValidationError(errors)
    return ReportQuery(since=since, until=until, period=period, tz=tz, **filters)


def _date(values: dict, name: str, errors: dict) -> date | None:
    raw = values.get(name)
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["A date, YYYY-MM-DD."]
        return None
    if not EARLIEST <= day <= LATEST:
        errors[name] = [f"From {EARLIEST} to {LATEST}."]
        return None
    return day


def _is_number(raw: str) -> bool:
    """ASCII digits only, and not absurdly long: "²".isdigit() is True and int("²") fails."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 9


def _window(values: dict, today: date, default_days: int, errors: dict) -> tuple[date, date]:
    if "days" in values:
        raw = values["days"]
        if "since" in values or "until" in values:
            errors["days"] = ["Give either days or since/until, not both."]
        elif not _is_number(raw) or not 1 <= int(raw) <= 730:
            errors["days"] = ["A whole number of days from 1 to 730."]
        else:
            return today - timedelta(days=int(raw) - 1), today
        return today, today
    since, until = _date(values, "since", errors), _date(values, "until", errors)
    until = until or (today if since is None else min(today, since + timedelta(MAX_DAYS - 1)))
    since = since or until - timedelta(days=default_days - 1)
    if since > until:
        errors["since"] = ["since must not be after until."]
    elif (until - since).days + 1 > MAX_DAYS and "days" not in values:
        errors["until"] = [f"A window of at most {MAX_DAYS} days."]
    return since, until


def _int(values: dict, name: str, errors: dict) -> int | None:
    raw = values.get(name)
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not 1 <= int(raw) <= 2**63 - 1:
        errors[name] = ["A positive whole number (an id)."]
        return None
    return int(raw)


def _object_id(values: dict, name: str, model, errors: dict) -> int | None:
    pk = _int(values, name, errors)
    if pk is not None and not model.objects.filter(pk=pk).exists():
        errors[name] = [f"No {name} {pk}."]
    return pk


def _agent(values: dict, errors: dict) -> int | None:
    from django.contrib.auth import get_user_model

    pk = _int(values, "agent", errors)
    if pk is not None and not get_user_model().objects.filter(pk=pk, role__in=AGENT_ROLES).exists():
        errors["agent"] = [f"No agent {pk}."]
    return pk


def _choice(values: dict, name: str, choices, errors: dict) -> str | None:
    raw = values.get(name)
    if not raw:
        return None
    if raw not in choices:
        errors[name] = [f"One of: {', '.join(choices)}."]
        return None
    return raw


def _priority(values: dict, errors: dict) -> int | None:
    label = _choice(values, "priority", [p.label for p in Priority], errors)
    return Priority.from_name(label).value if label else None


AGENT_ROLES = ("agent", "manager")
