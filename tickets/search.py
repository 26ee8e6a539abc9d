"""Search over tickets: subject, message bodies, tags, customers' names and identities, and
ticket numbers, as far as the caller may see (tickets_visible_to).

PostgreSQL: each ticket has one stored search document (tickets.TicketSearch, kept by the
triggers of migration tickets/0006) in the `helpdesk` text-search configuration over
`hd_search_fold`-ed text (English stems for Latin words, Russian stems for Cyrillic ones,
Baltic diacritics and ё folded, Persian letter forms unified); a query is
`websearch_to_tsquery` over the same folding (every word must match; quotes and `-word`
work). Identities (email, phone, handle) and names are matched as substrings ("kim@exa")
through trigram indexes (migration customers/0008). "#123" or "123" is also a ticket number.

Ranking, best first, ties by newest ticket: the ticket whose number was typed (10), then
tickets of customers whose name or identity matched (1), then full-text matches by
`ts_rank_cd` (subject counts more than tags, tags more than bodies; in [0, 1)); matches on
several paths add up. Full-text ranking reads the MAX_RESULTS newest matching tickets and no
more (a word in half the tickets would otherwise cost half a million vectors per query), so
a search is "the most relevant of the newest 200 matches": narrow it with more words.

SQLite (`make run` without a server): the same interface with case-insensitive substring
matches, newest first; no stemming, no folding. A development fallback only.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Func, IntegerField, Q

from customers.models import Customer, IdentityKind
from customers.selectors import identities_visible_to

from .models import Message, Team, Ticket
from .selectors import tickets_visible_to

MAX_RESULTS = 200
# Full-text candidates are looked for among the newest 10,000 tickets, then 200,000, then all
# (the first window with MAX_RESULTS matches wins). The first walks those rows newest first
# (a frequent word fills it at once, a rare one costs at most the window); the wider ones
# order by `ticket_id + 0`, which keeps the planner off a backward primary-key walk through
# the whole table (what it picks for any LIMIT-ed query: seconds for a rare word), so the GIN
# index finds the matches and the window bounds the rows read.
WINDOWS = (10_000, 200_000, None)
# An agent's search first reads each of their teams' newest AGENT_WALK search rows (see
# _agent_matches): enough for frequent words, bounded for every word.
AGENT_WALK = 3_000
MAX_QUERY_LENGTH = 200
MAX_CUSTOMERS = 500  # a name shared by more people is narrowed with more words
NUMBER_SCORE = 10.0
IDENTITY_SCORE = 1.0
_NUMBER = re.compile(r"#?\s*(\d{1,18})")
_PHONE = re.compile(r"\+?[\d\s().-]{6,}")
_MARK_START, _MARK_STOP = "\ue000", "\ue001"
_SNIPPET = f"StartSel={_MARK_START}, StopSel={_MARK_STOP}, MaxWords=30, MinWords=12"
_WHOLE = f"StartSel={_MARK_START}, StopSel={_MARK_STOP}, HighlightAll=true"


@dataclass(frozen=True)
class TicketHit:
    ticket_id: int
    score: float


@dataclass(frozen=True)
class Highlight:
    subject: str  # safe HTML: escaped text with <mark> around the matched words
    snippet: str  # safe HTML: the first matching message, or "" when only the subject matched


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def clean_query(text: str | None) -> str:
    return " ".join((text or "").split())


def search_tickets(*, user, text: str) -> list[TicketHit]:
    """The tickets `user` may see that match `text`, best first (see the module docstring),
    at most MAX_RESULTS. Three queries whatever the size: number, identities/names, text."""
    text = clean_query(text)[:MAX_QUERY_LENGTH]
    if not text:
        return []
    visible = tickets_visible_to(user)
    scores: dict[int, float] = {}
    number = _NUMBER.fullmatch(text)
    if number and int(number.group(1)) < 2**63:
        for pk in visible.filter(pk=int(number.group(1))).values_list("pk", flat=True):
            scores[pk] = NUMBER_SCORE
    for pk in _identity_matches(user, visible, text):
        scores[pk] = scores.get(pk, 0.0) + IDENTITY_SCORE
    matches = _text_matches(user, visible, text) if is_postgres() else _fallback(visible, text)
    for pk, score in matches:
        scores[pk] = scores.get(pk, 0.0) + score
    ranked = sorted(scores.items(), key=lambda item: (-item[1], -item[0]))[:MAX_RESULTS]
    return [TicketHit(pk, score) for pk, score in ranked]


class ResultPosition(Func):
    """A ticket's 0-based position among `ticket_ids` (the search's order), as one SQL
    expression: `array_position` on PostgreSQL, a simple CASE elsewhere; NULL for a ticket
    not among them. Not Django's Case(When(...)) per hit: resolving and compiling 200 When
    objects is ~100,000 Python calls, done for every page of every search."""

    output_field = IntegerField()

    def __init__(self, ticket_ids: list[int]) -> None:
        super().__init__(F("pk"))
        self.ticket_ids = [int(pk) for pk in ticket_ids]

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        if not self.ticket_ids:
            return "NULL", []
        # our own integers, so inline: no parameter per hit
        whens = " ".join(f"WHEN {pk} THEN {n}" for n, pk in enumerate(self.ticket_ids))
        return f"(CASE {column} {whens} END)", params

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        ids = ",".join(str(pk) for pk in self.ticket_ids)
        return f"(array_position('{{{ids}}}'::bigint[], {column}) - 1)", params


def _identity_matches(user, visible, text: str) -> list[int]:
    """Tickets whose requester's name or identity (as far as `user` may see identities)
    contains `text`; a phone number also matches with its punctuation left out. The
    customers first (trigram indexes, at most MAX_CUSTOMERS), then their tickets (the
    requester index): one query, or two when some customer matched."""
    if len(text) < 3:
        return []  # trigrams need three characters; shorter would scan every customer
    identities = Q(value__icontains=text)
    if _PHONE.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 6:
            identities |= Q(kind=IdentityKind.PHONE, value__icontains=digits)
    matched = identities_visible_to(user).filter(identities).order_by().values_list("customer_id")
    named = Customer.objects.filter(name__icontains=text).order_by().values_list("pk")
    # Each branch bounded on its own, duplicates dropped here: a UNION's de-duplication would
    # read every match of a common name (thousands of rows) before its LIMIT.
    both = matched[:MAX_CUSTOMERS].union(named[:MAX_CUSTOMERS], all=True)
    customers = list(dict.fromkeys(row[0] for row in both))[:MAX_CUSTOMERS]
    if not customers:
        return []
    requesters = visible.filter(requester_id__in=customers)
    # `pk + 0`: newest first without the planner's backward walk of the primary key (which it
    # picks for a LIMIT-ed query and which reads the whole table when few rows qualify).
    newest = requesters.annotate(newness=F("pk") + 0).order_by("-newness")
    return list(newest.values_list("pk", flat=True)[:MAX_RESULTS])


def _text_matches(user, visible, text: str) -> list[tuple[int, float]]:
    """The MAX_RESULTS newest visible tickets matching `text`, ranked; looked for in the
    newest WINDOWS[0] tickets first, then wider (see WINDOWS)."""
    visible_sql, visible_params = visible.values("pk").query.sql_with_params()
    # A caller who sees every ticket (a manager) needs no visibility join: as a semi-join
    # over a million ids the planner hashes the whole tickets table for it.
    visibility = f"AND d.ticket_id IN ({visible_sql})" if visible.query.where else ""
    if not visibility:
        visible_params = ()
    # Internal notes are searched for staff only, as only staff read them.
    match = "d.document @@ {q}"
    vector = "coalesce(c.document, ''::tsvector)"
    if user.is_agent:
        match = "(d.document @@ {q} OR d.notes @@ {q})"
        vector = "coalesce(c.document, ''::tsvector) || coalesce(c.notes, ''::tsvector)"
    # The query inline (not a CTE): with constants, the planner folds it and estimates each
    # word's frequency from the column's statistics.
    query = "websearch_to_tsquery('helpdesk', hd_search_fold(%s))"
    match = match.format(q=query)
    with connection.cursor() as cursor:
        if user.is_agent and not user.is_manager:
            return _agent_matches(cursor, user, text, vector, match)
        cursor.execute("SELECT max(ticket_id) FROM tickets_ticketsearch")
        newest = cursor.fetchone()[0] or 0
        rows: list = []
        for n, window in enumerate(WINDOWS):
            floor = newest - window if window is not None and window < newest else 0
            # the first window walks the newest rows (bounded); wider ones use the GIN index
            order = "d.ticket_id DESC" if n == 0 else "d.ticket_id + 0 DESC"
            cursor.execute(
                f"""
                SELECT c.ticket_id, ts_rank_cd({vector}, {query}, 32)
                FROM (
                    SELECT d.ticket_id, d.document, d.notes
                    FROM tickets_ticketsearch d
                    WHERE {match} AND d.ticket_id > %s {visibility}
                    ORDER BY {order}
                    LIMIT {MAX_RESULTS}
                ) c
                """,  # noqa: S608 - only our own constants and Django's compiled SQL
                [text, *([text] * match.count("%s")), floor, *visible_params],
            )
            rows = cursor.fetchall()
            if len(rows) >= MAX_RESULTS or floor == 0:
                break
        return [(row[0], float(row[1])) for row in rows]


def _agent_matches(cursor, user, text: str, vector: str, match: str) -> list:
    """The MAX_RESULTS newest matching tickets of the agent's teams and assigned to them,
    ranked, on the search row's own team_id / assignee_id (tickets_visible_to's rule, kept on
    the row by the triggers): a branch per team and one for their assignments.

    First each branch reads only its newest AGENT_WALK rows (ticket_search_team_idx: a
    bounded cost, and where a frequent word or two finds its matches at once); only when
    that finds fewer than MAX_RESULTS does each branch look through all its rows, planned on
    its own, which for a rare word is the GIN index intersected with the team."""
    teams = list(Team.objects.filter(members=user).values_list("pk", flat=True))
    scopes = [("team_id", team) for team in teams] + [("assignee_id", user.pk)]
    rows = _agent_query(cursor, scopes, text, vector, match, walk=AGENT_WALK)
    if len(rows) < MAX_RESULTS:
        rows = _agent_query(cursor, scopes, text, vector, match, walk=None)
    return [(row[0], float(row[1])) for row in rows]


def _agent_query(cursor, scopes, text: str, vector: str, match: str, *, walk: int | None):
    rows_of = "tickets_ticketsearch d WHERE d.{column} = %s"
    if walk is not None:
        rows_of = (
            "(SELECT d.ticket_id, d.document, d.notes FROM tickets_ticketsearch d"  # noqa: S608
            f" WHERE d.{{column}} = %s ORDER BY d.ticket_id DESC LIMIT {walk}) d WHERE true"
        )
    branch = (
        f"(SELECT d.ticket_id FROM {rows_of} AND {{match}}"  # noqa: S608 - our constants
        f" ORDER BY d.ticket_id DESC LIMIT {MAX_RESULTS})"
    )
    branches = [branch.format(column=column, match=match) for column, _ in scopes]
    query = "websearch_to_tsquery('helpdesk', hd_search_fold(%s))"
    per_branch = match.count("%s")
    cursor.execute(
        f"""
        SELECT c.ticket_id, ts_rank_cd({vector}, {query}, 32)
        FROM (
            SELECT DISTINCT b.ticket_id FROM ({" UNION ALL ".join(branches)}) b
            ORDER BY b.ticket_id DESC
            LIMIT {MAX_RESULTS}
        ) mine
        JOIN tickets_ticketsearch c ON c.ticket_id = mine.ticket_id
        ORDER BY c.ticket_id DESC
        """,  # noqa: S608 - only our own constants
        [text, *[p for _, scope in scopes for p in (scope, *([text] * per_branch))]],
    )
    return cursor.fetchall()


def _fallback(visible, text: str) -> list[tuple[int, float]]:
    """SQLite: every word of `text` in the subject, a message body or a tag name."""
    words = text.split()[:8]
    matches = visible
    for word in words:
        matches = matches.filter(
            Q(subject__icontains=word)
            | Q(pk__in=Message.objects.filter(body_text__icontains=word).values("ticket_id"))
            | Q(tags__name__icontains=word)
        )
    pks = matches.order_by("-pk").values_list("pk", flat=True).distinct()[:MAX_RESULTS]
    return [(pk, 0.5) for pk in pks]


def highlights(*, user, ticket_ids: list[int], text: str) -> dict[int, Highlight]:
    """The subject with the matched words marked and a snippet of the first matching message
    (public ones only for integrations) of each ticket, in one query."""
    text = clean_query(text)[:MAX_QUERY_LENGTH]
    if not ticket_ids:
        return {}
    if not is_postgres():
        return _fallback_highlights(ticket_ids)
    public = "" if user.is_agent else "AND m.is_public"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH q AS MATERIALIZED (
                SELECT websearch_to_tsquery('helpdesk', hd_search_fold(%s)) AS query
            )
            SELECT t.id, ts_headline('helpdesk', t.subject, q.query, %s), b.snippet
            FROM tickets_ticket t CROSS JOIN q
            LEFT JOIN LATERAL (
                SELECT ts_headline('helpdesk', left(m.body_text, 5000), q.query, %s) AS snippet
                FROM tickets_message m
                WHERE m.ticket_id = t.id {public}
                  AND to_tsvector('helpdesk', hd_search_fold(left(m.body_text, 200000)))
                      @@ q.query
                ORDER BY m.id
                LIMIT 1
            ) b ON true
            WHERE t.id = ANY(%s)
            """,  # noqa: S608 - only our own constants are interpolated
            [text, _WHOLE, _SNIPPET, list(ticket_ids)],
        )
        return {
            row[0]: Highlight(_safe(row[1]), _safe(row[2]) if row[2] else "")
            for row in cursor.fetchall()
        }


def _fallback_highlights(ticket_ids: list[int]) -> dict[int, Highlight]:
    subjects = Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", "subject")
    return {pk: Highlight(html.escape(subject), "") for pk, subject in subjects}


def _safe(raw: str) -> str:
    """ts_headline returns the text as is: escape it, then turn our private-use markers
    (which no escaping touches) into <mark>."""
    escaped = html.escape(raw or "")
    return escaped.replace(_MARK_START, "<mark>").replace(_MARK_STOP, "</mark>")
