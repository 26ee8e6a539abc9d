"""One timeline of a customer (or of an organization's customers) across channels: tickets
(with a summary of their messages), follow-ups, surveys, deliveries, poor experiences (what
flags a customer at risk) and the flag itself. Newest first, a page at a time.

Each source is one `Source`: a queryset of the rows the caller may see for those customers,
annotated with `timeline_at`, and a function that turns a row into an `Entry`. A page costs
one query per source whatever the history's length: each source reads only its next
`limit + 1` rows before the cursor, and the pages merge in Python. Adding a source (the
outbox's deliveries, goodwill) is one more entry in SOURCES.
"""

from __future__ import annotations

import base64
import binascii
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer, Organization
from tickets.selectors import tickets_visible_to

from .models import CustomerHealth, PoorExperience
from .selectors import deliveries_visible_to, followups_visible_to, surveys_visible_to


@dataclass(frozen=True)
class Entry:
    source: str
    id: int
    at: datetime
    title: str
    detail: str = ""
    state: str = ""
    ticket_id: int | None = None
    customer_id: int | None = None


@dataclass(frozen=True)
class Cursor:
    """The last entry of the previous page: (at, source's rank, id), newest first."""

    at: datetime
    rank: int
    id: int

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.rank}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """ValueError for anything that is not a cursor this module wrote."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at, rank, pk = raw.split("|")
            cursor = cls(datetime.fromisoformat(at), int(rank), int(pk))
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("Invalid cursor: use the `next` link.") from exc
        if cursor.at.tzinfo is None or not 0 <= cursor.rank < len(SOURCES):
            raise ValueError("Invalid cursor: use the `next` link.")
        return cursor


@dataclass(frozen=True)
class Source:
    name: str
    rows: Callable[[QuerySet[Customer], object], QuerySet]  # annotated with timeline_at
    entry: Callable[[object], Entry]


def _tickets(customers, user) -> QuerySet:
    return (
        tickets_visible_to(user)
        .filter(requester__in=customers)
        .annotate(
            timeline_at=F("created_at"),
            message_count=Count("messages"),
            last_message_at=Max("messages__created_at"),
        )
    )


def _ticket_entry(t) -> Entry:
    detail = ngettext(
        "%(channel)s · %(count)s message, last %(last)s",
        "%(channel)s · %(count)s messages, last %(last)s",
        t.message_count,
    ) % {
        "channel": t.get_channel_display(),
        "count": t.message_count,
        "last": t.last_message_at.strftime("%Y-%m-%d %H:%M UTC") if t.last_message_at else "—",
    }
    return Entry(
        "ticket",
        t.pk,
        t.timeline_at,
        f"#{t.pk} {t.subject}",
        str(detail),
        t.status,
        t.pk,
        t.requester_id,
    )


def _followups(customers, user) -> QuerySet:
    return (
        followups_visible_to(user)
        .prefetch_related(None)
        .select_related("rule")
        .filter(customer__in=customers)
        .annotate(timeline_at=Coalesce("done_at", "due_at"))
    )


def _followup_entry(f) -> Entry:
    return Entry(
        "followup",
        f.pk,
        f.timeline_at,
        str(_("Follow-up: %(rule)s") % {"rule": f.rule.name}),
        f.rule.get_action_display(),
        f.state,
        f.ticket_id,
        f.customer_id,
    )


def _surveys(customers, user) -> QuerySet:
    return (
        surveys_visible_to(user)
        .prefetch_related(None)
        .filter(customer__in=customers)
        .annotate(timeline_at=Coalesce("answered_at", "sent_at"))
    )


def _survey_entry(s) -> Entry:
    scores = ", ".join(
        f"{name} {value}"
        for name, value in (("CSAT", s.csat), ("CES", s.ces), ("NPS", s.nps))
        if value is not None
    )
    return Entry(
        "survey",
        s.pk,
        s.timeline_at,
        str(_("Survey on #%(ticket)s") % {"ticket": s.ticket_id}),
        scores or str(_("not answered")),
        "answered" if s.answered_at else "sent",
        s.ticket_id,
        s.customer_id,
    )


def _deliveries(customers, user) -> QuerySet:
    return (
        deliveries_visible_to(user)
        .prefetch_related(None)
        .filter(customer__in=customers)
        .annotate(timeline_at=F("delivered_at"))
    )


def _delivery_entry(d) -> Entry:
    return Entry(
        "delivery",
        d.pk,
        d.timeline_at,
        str(_("Delivered: %(ref)s") % {"ref": d.external_ref}),
        ", ".join(str(p) for p in d.products or []),
        "",
        None,
        d.customer_id,
    )


def _poor_experiences(customers, user) -> QuerySet:
    """The causes that count towards at risk; one on a ticket the caller does not see is
    left out (it would name that ticket)."""
    if not (user.is_authenticated and user.is_agent):
        return PoorExperience.objects.none()
    return PoorExperience.objects.filter(
        Q(ticket__isnull=True) | Q(ticket__in=tickets_visible_to(user)), customer__in=customers
    ).annotate(timeline_at=F("occurred_at"))


def _poor_experience_entry(p) -> Entry:
    return Entry(
        "poor_experience",
        p.pk,
        p.timeline_at,
        p.get_kind_display(),
        "",
        "",
        p.ticket_id,
        p.customer_id,
    )


def _at_risk(customers, user) -> QuerySet:
    """The customer's current at-risk flag, at the moment it was raised (its causes are the
    poor experiences above)."""
    if not (user.is_authenticated and user.is_agent):
        return CustomerHealth.objects.none()
    return CustomerHealth.objects.filter(
        customer__in=customers, at_risk=True, at_risk_since__isnull=False
    ).annotate(timeline_at=F("at_risk_since"), id=F("customer_id"))


def _at_risk_entry(h) -> Entry:
    return Entry(
        "at_risk",
        h.customer_id,
        h.timeline_at,
        _("Flagged at risk"),
        _("health %(score)s/100") % {"score": h.score},
        "at_risk",
        None,
        h.customer_id,
    )


# The order is each source's rank in the cursor (append, do not reorder).
SOURCES: tuple[Source, ...] = (
    Source("ticket", _tickets, _ticket_entry),
    Source("followup", _followups, _followup_entry),
    Source("survey", _surveys, _survey_entry),
    Source("delivery", _deliveries, _delivery_entry),
    Source("poor_experience", _poor_experiences, _poor_experience_entry),
    Source("at_risk", _at_risk, _at_risk_entry),
)


def _after(rank: int, cursor: Cursor | None) -> Q:
    """Rows after the cursor in (at, rank, id) descending order, for the source of `rank`."""
    if cursor is None:
        return Q()
    if rank < cursor.rank:
        return Q(timeline_at__lte=cursor.at)
    if rank == cursor.rank:
        return Q(timeline_at__lt=cursor.at) | Q(timeline_at=cursor.at, id__lt=cursor.id)
    return Q(timeline_at__lt=cursor.at)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next: Cursor | None


def timeline(
    customers: QuerySet[Customer], user, *, limit: int = 25, cursor: Cursor | None = None
) -> Page:
    """The next `limit` entries after `cursor` (newest first), as `user` may see them."""
    streams = []
    for rank, source in enumerate(SOURCES):
        rows = (
            source.rows(customers, user)
            .filter(_after(rank, cursor))
            .order_by("-timeline_at", "-id")[: limit + 1]
        )
        streams.append([(row.timeline_at, rank, row.pk, source.entry(row)) for row in rows])
    merged = heapq.merge(*streams, key=lambda item: (item[0], item[1], item[2]), reverse=True)
    page = []
    for item in merged:
        page.append(item)
        if len(page) > limit:
            break
    more = len(page) > limit
    page = page[:limit]
    last = page[-1] if page else None
    return Page(
        [item[3] for item in page],
        Cursor(last[0], last[1], last[2]) if more and last else None,
    )


def timeline_customers_visible_to(user) -> QuerySet[Customer]:
    """Whose timeline a caller may read: managers every customer's; agents those who asked
    in a ticket they see (their teams' tickets, or assigned to them); nobody else any."""
    customers = Customer.objects.select_related(
        "organization__tier", "organization__sla_policy", "tier", "sla_policy", "health"
    )
    if not (user.is_authenticated and user.is_agent):
        return customers.none()
    if user.is_manager:
        return customers
    return customers.filter(pk__in=tickets_visible_to(user).values("requester_id"))


def timeline_organizations_visible_to(user) -> QuerySet[Organization]:
    """Managers every organization; agents those with a customer whose timeline they read."""
    organizations = Organization.objects.select_related("tier", "sla_policy")
    if not (user.is_authenticated and user.is_agent):
        return organizations.none()
    if user.is_manager:
        return organizations
    return organizations.filter(
        pk__in=timeline_customers_visible_to(user).values("organization_id")
    )
