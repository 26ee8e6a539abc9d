"""Reads for the desk pages: the queue rows and everything the ticket page shows, each in a
constant number of queries. Ordering and visibility come from tickets.selectors, the same
functions the API's queue and ticket endpoints use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from core import rows
from customers.models import Customer
from slas.business_time import is_open
from slas.clocks import clock_state, remaining_minutes
from slas.models import SlaClock, SlaTier
from slas.selectors import calendar_spec, tier_for, with_cached_policies
from success.models import CustomerHealth, FollowUp, FollowUpState
from tickets import selectors as ticket_selectors
from tickets.models import Message, Team, Ticket, TicketEvent

from . import prefetch
from .audit_words import AuditRow, audit_rows


@dataclass(frozen=True)
class ClockView:
    """One SLA clock as the desk shows it: the server's remaining business minutes, and the
    instants the browser needs to keep the countdown and its colour live."""

    metric: str
    metric_label: str
    state: str
    due_at: datetime
    warn_at: datetime
    remaining_minutes: float | None
    ticking: bool  # business time is passing right now (else the countdown stands still)
    paused_since: datetime | None
    fulfilled_at: datetime | None
    business_hours: bool = False

    @property
    def remaining_seconds(self) -> int | None:
        return None if self.remaining_minutes is None else round(self.remaining_minutes * 60)


def clock_view(clock: SlaClock, now: datetime) -> ClockView:
    running = clock.fulfilled_at is None and clock.paused_since is None
    spec = calendar_spec(clock.policy.calendar) if clock.business_hours else None
    return ClockView(
        metric=clock.metric,
        metric_label=clock.get_metric_display(),
        state=clock_state(clock),
        due_at=clock.due_at,
        warn_at=clock.warn_at,
        remaining_minutes=None if clock.fulfilled_at else remaining_minutes(clock, now),
        ticking=running and (spec is None or is_open(now, spec)),
        paused_since=clock.paused_since,
        fulfilled_at=clock.fulfilled_at,
        business_hours=clock.business_hours,
    )


# --- the queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    team: Team | None = None
    channel: str = ""
    tier: SlaTier | None = None
    status: str = ""
    assigned: str = ""  # "", "mine" or "unassigned"


def queue_tickets(user, filters: QueueFilters) -> QuerySet[Ticket]:
    """The caller's queue as GET /api/v1/queue/ has it (same selector, same order), narrowed
    by the page's filters, with the relations a row shows and the breached flag."""
    tickets = ticket_selectors.tickets_in_queue_of(user)
    if filters.team is not None:
        tickets = tickets.filter(team=filters.team)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.tier is not None:
        tickets = tickets.filter(
            Q(requester__tier=filters.tier)
            | Q(requester__tier__isnull=True, organization__tier=filters.tier)
        )
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.assigned == "mine":
        tickets = tickets.filter(assignee=user)
    elif filters.assigned == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    return ticket_selectors.with_sla_breached(tickets).select_related(
        "requester__tier", "organization__tier", "assignee"
    )


@lru_cache(maxsize=128)
def _running_clocks_sql(count: int) -> str:
    """The running clocks of `count` tickets, each ticket's due first first, in SQL written
    once per process and count; on PostgreSQL only that first one (DISTINCT ON)."""
    ticket, due_at, pk, fulfilled_at, paused_since = (
        connection.ops.quote_name(SlaClock._meta.get_field(name).column)
        for name in ("ticket", "due_at", "id", "fulfilled_at", "paused_since")
    )
    first = f"DISTINCT ON (c.{ticket}) " if connection.vendor == "postgresql" else ""
    return (
        f"SELECT {first}{rows.columns(SlaClock, 'c')}"  # noqa: S608
        f" FROM {rows.table(SlaClock)} c WHERE c.{ticket} IN ({', '.join(['%s'] * count)})"
        f" AND c.{fulfilled_at} IS NULL AND c.{paused_since} IS NULL"
        f" ORDER BY c.{ticket}, c.{due_at}, c.{pk}"
    )


def _running_clocks(tickets: list[Ticket]) -> dict[int, SlaClock]:
    """Each ticket's running clock due first (the one its `next_due_at` comes from), in one
    query whatever the number of tickets, and only that one per ticket (DISTINCT ON), in SQL
    written once per process (core.rows: the ORM compiled it anew on every poll). Their
    policies and calendars are the SLA engine's own per-process copies
    (slas.selectors.with_cached_policies: the versions the clocks were scheduled with,
    calendars as fresh as SLA_POLICY_CACHE_SECONDS), so the countdown a row shows is
    computed as the sweep computes it, and costs no query."""
    if not tickets:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_running_clocks_sql(len(tickets)), [t.pk for t in tickets])
        found = cursor.fetchall()
    first: dict[int, SlaClock] = {}
    for row in found:  # (one per ticket already, on PostgreSQL)
        clock = rows.instance(SlaClock, row)
        first.setdefault(clock.ticket_id, clock)
    with_cached_policies(first.values())
    return first


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    tier: SlaTier | None
    clock: ClockView | None
    url: str


def queue_rows(user, filters: QueueFilters, *, limit: int, now: datetime) -> list[QueueRow]:
    return rows_for(queue_tickets(user, filters), limit=limit, now=now)


# What desk/row_html.py reads of a ticket, its requester, organization and assignee.
_ROW_COLUMNS = (
    "id", "subject", "status", "priority", "channel", "updated_at",
    "requester__name", "requester__tier_id",
    "organization__name", "organization__tier_id",
    "assignee__username", "assignee__first_name", "assignee__last_name",
)  # fmt: skip


def rows_for(tickets: QuerySet[Ticket], *, limit: int, now: datetime) -> list[QueueRow]:
    """The first `limit` tickets as rows (tier, running clock, link) in constant queries,
    reading only the columns a row shows (desk/row_html.py): a ticket row with every column
    of five tables was most of the page's database time and object building. Tiers come
    from the per-process cache (tier_for)."""
    tickets = list(
        tickets.select_related(None)
        .select_related("requester", "organization", "assignee")
        .only(*_ROW_COLUMNS)[:limit]
    )
    clocks = _running_clocks(tickets)
    # One reverse() for the page rather than one per row.
    url = reverse("desk:ticket", args=[0]).removesuffix("0/")
    return [
        QueueRow(
            ticket=ticket,
            tier=tier_for(ticket),
            clock=clock_view(clocks[ticket.pk], now) if ticket.pk in clocks else None,
            url=f"{url}{ticket.pk}/",
        )
        for ticket in tickets
    ]


def team_options(user) -> tuple[list[Team], list[Team]]:
    """Every team and the agent's own, by name, for the queue's two team selects (the
    filter lists the agent's teams, the bulk bar's move lists all): one query. Only what an
    option shows is read (Team.__str__ is its name)."""
    member = Team.members.through.objects.filter(team_id=OuterRef("pk"), user_id=user.pk)
    teams = list(Team.objects.annotate(mine=Exists(member)).only("id", "name"))
    return teams, [team for team in teams if team.mine]


# --- the ticket page ---------------------------------------------------------------------------


def desk_ticket(user, pk: int) -> Ticket:
    """The ticket if the caller may see it (tickets_visible_to), else Ticket.DoesNotExist;
    its tags and its requester's identities held (desk.prefetch: one statement each)."""
    ticket = (
        ticket_selectors.tickets_visible_to(user)
        .select_related(
            # No tiers: the page reads them from the per-process cache (tier_for), and each
            # join here costs planning time (ten joins planned in 2.8 ms, run in 0.4 ms).
            "requester__organization",
            "requester__health",
            "organization",
            "team",
            "assignee",
            "merge__target",  # merges and problems (desk/relation_selectors.py)
            "problem_link__problem",
            "problem_settings",
        )
        .get(pk=pk)
    )
    prefetch.hold_tags(ticket)
    prefetch.hold_identities(ticket.requester)
    return ticket


def conversation(ticket: Ticket) -> list[Message]:
    """The ticket's conversation (tickets.selectors.ticket_messages, internal notes too), each
    message's files listed (desk.prefetch: one statement)."""
    return prefetch.messages_with_files(
        ticket_selectors.ticket_messages(ticket, include_internal=True)
    )


def ticket_clocks(ticket: Ticket, now: datetime) -> list[ClockView]:
    """The ticket's clocks, in one query: policies and calendars as in _running_clocks."""
    clocks = with_cached_policies(SlaClock.objects.filter(ticket=ticket).order_by("id"))
    return [clock_view(clock, now) for clock in clocks]


def customer_recent_tickets(user, customer: Customer, *, exclude: Ticket, limit: int = 5):
    return list(
        ticket_selectors.tickets_visible_to(user)
        .filter(requester=customer)
        .exclude(pk=exclude.pk)
        .order_by("-created_at", "-id")
        .only("id", "subject", "status")[:limit]  # what the page lists of each
    )


def customer_scheduled_followups(customer: Customer, *, limit: int = 5):
    return list(
        FollowUp.objects.filter(customer=customer, state=FollowUpState.SCHEDULED)
        .select_related("rule")
        .order_by("due_at", "id")[:limit]
    )


def customer_health(customer: Customer):
    """The customer's CustomerHealth row, or None (select_related on the ticket fetched it)."""
    try:
        return customer.health
    except CustomerHealth.DoesNotExist:
        return None


def last_change_by(ticket: Ticket) -> str:
    """Who made the latest change to the ticket, for the stale-version warning."""
    event = (
        ticket.events.select_related("actor_user", "actor_customer")
        .order_by("-created_at", "-id")
        .first()
    )
    if event is None:
        return _("Someone")
    if event.actor_user is not None:
        return event.actor_user.display_name
    if event.actor_customer is not None:
        return event.actor_customer.name or _("The customer")
    return _("The system")


def is_visible(user, pk: int) -> bool:
    return ticket_selectors.tickets_visible_to(user).filter(pk=pk).exists()


_AUDIT_COLUMNS = (
    "id", "ticket_id", "kind", "before", "after", "created_at",
    "actor_user__username", "actor_user__first_name", "actor_user__last_name",
    "actor_customer__name",
)  # fmt: skip


def audit_trail(ticket: Ticket) -> list[AuditRow]:
    """The ticket's events in words (desk.audit_words): users and teams named in one query
    each. Only what a row reads (desk.row_html.audit_row, audit_words)."""
    events = ticket_selectors.ticket_events(ticket).only(*_AUDIT_COLUMNS)
    return audit_rows(list(events))


@dataclass(frozen=True)
class MovedAway:
    """A ticket the agent worked that has left their reach: where it went, when, by whom."""

    ticket_id: int
    subject: str
    team: str
    moved_at: datetime | None
    moved_by: str


def moved_away(user, pk: int) -> MovedAway | None:
    """For an agent who acted on or held ticket `pk` and may no longer see it (escalated to
    another team): where it went; None for a ticket they never touched (that stays a 404)."""
    ticket = Ticket.objects.filter(pk=pk).select_related("team").first()
    if ticket is None:
        return None
    worked = TicketEvent.objects.filter(ticket_id=pk).filter(
        Q(actor_user=user) | Q(before__assignee=user.pk) | Q(after__assignee=user.pk)
    )
    if not worked.exists():
        return None
    move = (
        TicketEvent.objects.filter(ticket_id=pk, before__has_key="team", after__has_key="team")
        .select_related("actor_user")
        .order_by("-created_at", "-id")
        .first()
    )
    by = ""
    if move is not None:
        by = move.actor_user.display_name if move.actor_user else _("the system (SLA escalation)")
    return MovedAway(
        ticket_id=pk,
        subject=ticket.subject,
        team=ticket.team.name if ticket.team else "—",
        moved_at=move.created_at if move else None,
        moved_by=by,
    )
