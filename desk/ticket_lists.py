"""The desk's ticket views: the built-in ones (mine, unassigned, pending...) and agents' saved
views, as conditions over `tickets_visible_to`. One allow-list (FILTERS) validates a saved
view's filters and a page's GET parameters alike; every view is one Q, so the counts beside
all of them are one aggregate query.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slas.models import SlaClock
from success.models import CustomerHealth
from tickets import selectors as ticket_selectors
from tickets.models import ChannelKind, Priority, Team, Ticket
from tickets.status import ACTIVE, UNRESOLVED, Status

from . import queue_counts, view_counts
from .models import SavedView, ViewSort
from .queue_counts import Bucket

RECENTLY_SOLVED_DAYS = 7


def _my_teams(user) -> Q:
    return Q(team__in=Team.objects.filter(members=user))


# Both as `IN (uncorrelated subquery)`, not a correlated EXISTS: PostgreSQL reads the few
# breached clocks (a partial index) or customers at risk once into a hash and probes it per
# ticket, where EXISTS probed an index once per ticket: at 15,000 open tickets the views'
# counts took 36 ms, 29 of them in those probes (`python -m bench.profile_desk queue`).
def _breached() -> Q:
    running = SlaClock.objects.filter(breached_at__isnull=False, fulfilled_at__isnull=True)
    return Q(pk__in=running.values("ticket_id"))


def _at_risk() -> Q:
    return Q(requester_id__in=CustomerHealth.objects.filter(at_risk=True).values("customer_id"))


@dataclass(frozen=True)
class BuiltinView:
    slug: str
    label: str
    condition: Callable[[object, datetime], Q]
    # The same rule over the triggers' tallies (desk.queue_counts), for the views that depend
    # only on team, assignee and status: does this bucket count, for this agent's id?
    in_bucket: Callable[[Bucket, int], bool] | None = None


BUILTIN_VIEWS: tuple[BuiltinView, ...] = (
    BuiltinView(
        "mine",
        _("Mine"),
        lambda u, now: Q(assignee=u, status__in=UNRESOLVED),
        lambda b, user_id: b.assignee_id == user_id and b.status in UNRESOLVED,
    ),
    BuiltinView(
        "unassigned",
        _("Unassigned"),
        lambda u, now: _my_teams(u) & Q(assignee__isnull=True, status__in=ACTIVE),
        lambda b, user_id: b.my_team and b.assignee_id is None and b.status in ACTIVE,
    ),
    BuiltinView(
        "open",
        _("All open of my teams"),
        lambda u, now: _my_teams(u) & Q(status__in=ACTIVE),
        lambda b, user_id: b.my_team and b.status in ACTIVE,
    ),
    BuiltinView(
        "pending",
        _("Pending"),
        lambda u, now: Q(status=Status.PENDING),
        lambda b, user_id: b.status == Status.PENDING,
    ),
    BuiltinView(
        "on_hold",
        _("On hold"),
        lambda u, now: Q(status=Status.ON_HOLD),
        lambda b, user_id: b.status == Status.ON_HOLD,
    ),
    BuiltinView(
        "solved",
        _("Recently solved"),
        lambda u, now: Q(
            status=Status.SOLVED, solved_at__gte=now - timedelta(days=RECENTLY_SOLVED_DAYS)
        ),
    ),
    BuiltinView("breached", _("Breached"), lambda u, now: _breached() & Q(status__in=UNRESOLVED)),
    BuiltinView(
        "at_risk", _("Customers at risk"), lambda u, now: _at_risk() & Q(status__in=UNRESOLVED)
    ),
)
BUILTINS = {view.slug: view for view in BUILTIN_VIEWS}


# --- filters: the allow-list -------------------------------------------------------------------


def _choice_list(value, choices: set[str], name: str) -> list[str]:
    values = value if isinstance(value, list) else str(value).split(",")
    values = [str(v).strip() for v in values if str(v).strip()]
    bad = [v for v in values if v not in choices]
    if bad or not values:
        raise ValidationError(
            {
                name: [
                    _("Use one or more of: %(choices)s.") % {"choices": ", ".join(sorted(choices))}
                ]
            }
        )
    return values


def _status(value) -> list[str]:
    return _choice_list(value, set(Status.values), "status")


def _priority(value) -> list[str]:
    return _choice_list(value, {p.label for p in Priority}, "priority")


def _channel(value) -> list[str]:
    return _choice_list(value, set(ChannelKind.values), "channel")


def _team(value) -> int:
    if isinstance(value, bool) or not str(value).isdigit():
        raise ValidationError({"team": [_("A team id.")]})
    return int(value)


def _assignee(value) -> str | int:
    if value in ("me", "none"):
        return value
    if isinstance(value, bool) or not str(value).isdigit():
        raise ValidationError({"assignee": [_("A user id, `me` or `none`.")]})
    return int(value)


def _tag(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 50:
        raise ValidationError({"tag": [_("A tag name.")]})
    return value.strip()


def _sla_state(value) -> str:
    if value not in ("breached", "ok"):
        raise ValidationError({"sla_state": [_("Use breached or ok.")]})
    return value


def _view(value) -> str:
    if value not in BUILTINS:
        raise ValidationError(
            {"view": [_("Use one of: %(choices)s.") % {"choices": ", ".join(BUILTINS)}]}
        )
    return value


# name -> (clean, condition(user, cleaned value)): the only filters a view may hold.
FILTERS: dict[str, tuple[Callable, Callable[[object, object], Q]]] = {
    "view": (_view, lambda u, v: Q()),  # the built-in view a saved view narrows (if any)
    "status": (_status, lambda u, v: Q(status__in=v)),
    "priority": (_priority, lambda u, v: Q(priority__in=[Priority.from_name(p) for p in v])),
    "channel": (_channel, lambda u, v: Q(channel__in=v)),
    "team": (_team, lambda u, v: Q(team_id=v)),
    "assignee": (
        _assignee,
        lambda u, v: (
            Q(assignee=u)
            if v == "me"
            else Q(assignee__isnull=True)
            if v == "none"
            else Q(assignee_id=v)
        ),
    ),
    "tag": (
        _tag,
        lambda u, v: Q(
            Exists(Ticket.tags.through.objects.filter(ticket=OuterRef("pk"), tag__name=v))
        ),
    ),
    "sla_state": (_sla_state, lambda u, v: _breached() if v == "breached" else ~_breached()),
}


def clean_filters(raw: Mapping) -> dict:
    """The filters as stored: only allow-listed names, each value checked (ValidationError
    naming every bad field otherwise). Empty values are dropped."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"filters": [_("An object of filters.")]})
    errors: dict[str, list] = {}
    cleaned: dict = {}
    for name, value in raw.items():
        if name not in FILTERS:
            errors[name] = [_("Unknown filter; use: %(names)s.") % {"names": ", ".join(FILTERS)}]
            continue
        if value in ("", None, []):
            continue
        try:
            cleaned[name] = FILTERS[name][0](value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def filters_q(user, filters: Mapping, now: datetime) -> Q:
    """The condition of cleaned filters (a saved view's base view included)."""
    q = Q()
    if "view" in filters:
        q &= BUILTINS[filters["view"]].condition(user, now)
    for name, value in filters.items():
        q &= FILTERS[name][1](user, value)
    return q


def clean_sort(value: str | None) -> str:
    if not value:
        return ViewSort.URGENCY
    if value not in ViewSort.values:
        raise ValidationError({"sort": [_("Use urgency or updated.")]})
    return value


def ordered(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    if sort == ViewSort.UPDATED:
        return tickets.order_by("-updated_at", "-id")
    # The queue's order (tickets.selectors.tickets_in_queue_of), on the next_due_at index.
    return tickets.order_by(F("next_due_at").asc(nulls_last=True), "-priority", "created_at", "id")


# --- what a page shows -------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewLink:
    key: str  # a built-in slug, or "saved-<id>"
    label: str
    count: int
    saved: SavedView | None = None


def saved_views_of(user) -> list[SavedView]:
    return list(SavedView.objects.filter(owner=user).order_by("name", "id"))


def view_links(user, saved: list[SavedView], now: datetime) -> list[ViewLink]:
    """Every view the agent has, with its count. The views that depend only on team, assignee
    and status come from the triggers' tallies (desk.queue_counts, one statement) where
    they are kept; the others are one aggregate query, its SQL compiled once per role and set
    of saved views (desk.view_counts), over the few tickets they can count."""
    tallied = queue_counts.tallied_for(user)
    counts: dict[str, int] = {}
    if tallied:
        sums = queue_counts.buckets(user)
        for view in BUILTIN_VIEWS:
            if view.in_bucket is not None:
                counts[view.slug] = sum(n for b, n in sums if view.in_bucket(b, user.pk))
    counted_views = [view for view in BUILTIN_VIEWS if view.slug not in counts]

    def counted(user, now: datetime) -> tuple[QuerySet[Ticket], dict[str, Count]]:
        conditions = {view.slug: view.condition(user, now) for view in counted_views}
        for view in saved:
            conditions[f"saved-{view.pk}"] = filters_q(user, view.filters, now)
        tickets = ticket_selectors.tickets_visible_to(user)
        bound = _counted_bound(saved, now, tallied=tallied)
        return tickets if bound is None else tickets.filter(bound), {
            key.replace("-", "_"): Count("pk", filter=q) for key, q in conditions.items()
        }

    shape = (
        user.is_manager,
        user.is_agent,
        user.is_integration,
        tallied,
        tuple((view.pk, json.dumps(view.filters, sort_keys=True)) for view in saved),
    )
    counts |= view_counts.counts(shape, counted, user, now)
    links = [ViewLink(v.slug, str(v.label), counts[v.slug]) for v in BUILTIN_VIEWS]
    links += [ViewLink(f"saved-{v.pk}", v.name, counts[f"saved_{v.pk}"], v) for v in saved]
    return links


def _counted_bound(saved: list[SavedView], now: datetime, *, tallied: bool = False) -> Q | None:
    """The tickets any of the counted views can count: the unresolved ones, the recently
    solved, and the statuses saved views name; None when a saved view may count a ticket of
    any status (no status filter and no built-in base view). Without it the counts' aggregate
    read every ticket the agent's teams ever had, solved and closed ones included, on every
    page; with it, the status index finds the live ones. When the live views' counts are
    tallied (`tallied`) and there is no saved view, what is left to count (recently solved,
    breached, customers at risk) is found from its own few rows: the recently solved by
    their index, the breached by their running clocks' partial index, the at-risk by their
    requesters, never by reading the open backlog. (Every built-in view names its
    statuses: tests/desk/test_view_counts.py counts tickets of every status both ways.)"""
    since = now - timedelta(days=RECENTLY_SOLVED_DAYS)
    if tallied and not saved:
        solved = Ticket.objects.filter(status=Status.SOLVED, solved_at__gte=since)
        breached = SlaClock.objects.filter(breached_at__isnull=False, fulfilled_at__isnull=True)
        at_risk = Ticket.objects.filter(_at_risk(), status__in=sorted(UNRESOLVED))
        few = (
            solved.order_by()
            .values("pk")
            .union(breached.order_by().values("ticket_id"), at_risk.order_by().values("pk"))
        )
        return Q(pk__in=few)
    statuses = set(UNRESOLVED)
    for view in saved:
        if "status" in view.filters:
            statuses.update(view.filters["status"])
        elif "view" not in view.filters:
            return None
    recently_solved = Q(status=Status.SOLVED, solved_at__gte=since)
    return Q(status__in=sorted(statuses)) | recently_solved


def views_nav(user, *, current: str = "") -> dict:
    """The side list of views with their counts (two queries: saved views, one aggregate)."""
    saved = saved_views_of(user)
    return {"view_links": view_links(user, saved, timezone.now()), "current_view": current}


def view_tickets(user, condition: Q, sort: str) -> QuerySet[Ticket]:
    tickets = ticket_selectors.tickets_visible_to(user).filter(condition)
    return ticket_selectors.with_sla_breached(ordered(tickets, sort)).select_related(
        "requester__tier", "organization__tier", "assignee"
    )
