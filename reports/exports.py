"""Streamed exports (CSV or JSON lines) of tickets, SLA clocks and surveys for a period, and the
incremental ticket feed for BI tools.

Memory stays flat whatever the size: rows come from a server-side cursor (`.iterator()` with
`chunk_size`, a named cursor on PostgreSQL) and are written to the response as they arrive
(`StreamingHttpResponse`); nothing holds the whole result.

The incremental feed pages through tickets ordered by (updated_at, id) with an opaque cursor.
A naive cursor misses rows: `updated_at` is stamped when the row is saved, inside its
transaction, but it becomes visible at commit. A transaction that stamped 10:00:00.100 and
commits after another one that stamped 10:00:00.200 appears *behind* a cursor that already
moved past .200, and is never handed out. So the feed only hands out rows stamped before
`now - REPORTS_EXPORT_SETTLE_SECONDS` (default 60 s): by then every transaction that stamped
them has committed or rolled back, provided no write transaction lasts longer than the lag
(requests and sweep batches last well under a second; the database's statement timeout bounds
the rest). Clocks of the application servers must agree to within the lag too (NTP).
A row changed again after it was handed out appears again with its new state: each change is
seen once, intermediate states in between two reads are not (the latest state wins).
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from slas.models import SlaClock
from success.models import Survey
from tickets.models import Ticket

from .db import report_database
from .params import ReportQuery

CHUNK_SIZE = 2000

TICKET_FIELDS = (
    "id",
    "subject",
    "status",
    "priority",
    "type",
    "channel",
    "kind",
    "requester_id",
    "organization_id",
    "tier_id",
    "team_id",
    "assignee_id",
    "outside_plan",
    "created_at",
    "updated_at",
    "first_replied_at",
    "solved_at",
    "closed_at",
)
CLOCK_FIELDS = (
    "id",
    "ticket_id",
    "metric",
    "policy_id",
    "target_minutes",
    "business_hours",
    "started_at",
    "due_at",
    "warned_at",
    "breached_at",
    "paused_since",
    "fulfilled_at",
    "consumed_minutes",
    "escalation_level",
)
SURVEY_FIELDS = (
    "id",
    "ticket_id",
    "customer_id",
    "sent_at",
    "expires_at",
    "answered_at",
    "csat",
    "ces",
    "nps",
    "comment",
)
KINDS = ("tickets", "clocks", "surveys")
OUTPUTS = ("csv", "jsonl")


def _tickets() -> QuerySet:
    return Ticket.objects.using(report_database()).annotate(
        tier_id=Coalesce("requester__tier_id", "organization__tier_id")
    )


def export_queryset(kind: str, query: ReportQuery) -> tuple[QuerySet, tuple[str, ...]]:
    """The rows of one export for the window: tickets created in it, the clocks of those
    tickets, surveys sent in it; in id order."""
    window = {"gte": query.start, "lt": query.end}
    if kind == "tickets":
        rows = _tickets().filter(created_at__gte=window["gte"], created_at__lt=window["lt"])
        fields = TICKET_FIELDS
    elif kind == "clocks":
        rows = SlaClock.objects.using(report_database()).filter(
            ticket__created_at__gte=window["gte"], ticket__created_at__lt=window["lt"]
        )
        fields = CLOCK_FIELDS
    else:
        rows = Survey.objects.using(report_database()).filter(
            sent_at__gte=window["gte"], sent_at__lt=window["lt"]
        )
        fields = SURVEY_FIELDS
    return rows.order_by("id").values_list(*fields), fields


class _Echo:
    """csv.writer's file: hands each formatted line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def stream_csv(rows: Iterable[tuple], fields: tuple[str, ...]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(fields)
    for row in rows:
        yield writer.writerow([_value(v) for v in row])


def stream_jsonl(rows: Iterable[tuple], fields: tuple[str, ...]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(dict(zip(fields, map(_value, row), strict=True))) + "\n"


def export_stream(kind: str, query: ReportQuery, output: str) -> Iterator[str]:
    rows, fields = export_queryset(kind, query)
    iterator = rows.iterator(chunk_size=CHUNK_SIZE)
    return stream_csv(iterator, fields) if output == "csv" else stream_jsonl(iterator, fields)


# --- the incremental feed --------------------------------------------------------------------


class BadCursor(ValueError):
    pass


def encode_cursor(updated_at: datetime, pk: int) -> str:
    raw = f"{updated_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|")
        updated_at = parse_datetime(stamp)
        if (
            updated_at is None
            or updated_at.tzinfo is None
            or not (pk.isascii() and pk.isdigit() and len(pk) <= 19)
        ):
            raise ValueError
        return updated_at, int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("Not a cursor this feed handed out.") from exc


def settled_before(now: datetime | None = None) -> datetime:
    """Rows stamped before this instant are committed (see the module docstring)."""
    now = now or timezone.now()
    return now - timedelta(seconds=settings.REPORTS_EXPORT_SETTLE_SECONDS)


def ticket_changes(
    *, after: tuple[datetime, int] | None, limit: int, until: datetime
) -> tuple[list[dict], str | None]:
    """Up to `limit` tickets changed after the cursor position and stamped before `until`,
    in (updated_at, id) order, and the cursor to continue from (the same cursor when nothing
    new has settled). One query, on the `ticket_updated_idx` index."""
    rows = _tickets().filter(updated_at__lt=until)
    if after is not None:
        stamp, pk = after
        rows = rows.filter(Q(updated_at__gt=stamp) | Q(updated_at=stamp, id__gt=pk))
    page = list(rows.order_by("updated_at", "id").values(*TICKET_FIELDS)[:limit])
    if page:
        cursor = encode_cursor(page[-1]["updated_at"], page[-1]["id"])
    else:
        cursor = encode_cursor(*after) if after else None
    return [{k: _value(v) for k, v in row.items()} for row in page], cursor


__all__ = ["KINDS", "OUTPUTS", "export_stream", "ticket_changes"]
