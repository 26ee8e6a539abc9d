"""Full-text search over published article translations.

PostgreSQL: one stored tsvector per translation (title weight A, tags B, body C) in the
locale's text-search configuration (knowledge.locales), a GIN index on it, ranked with
ts_rank_cd and highlighted with ts_headline; for Latvian and Persian (no stemmer in
PostgreSQL) the `simple` configuration on unaccented text, queried by word prefixes (a crude
stem: "piegādes" finds "piegāde"). A query that finds nothing is corrected word by word to
the nearest lexeme of the search lexicon (knowledge.SearchTerm, pg_trgm similarity on a GIN
gin_trgm_ops index) and run again. Indexes and extensions come from migration 0002.

SQLite (`make run` without a server): the same interface with case-insensitive substring
matching, title hits first. No stemming, no typo tolerance: a development fallback only.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection, transaction

from .locales import LOCALES, locale_of

ANY_TERMS = 12
FREQUENT_SHARE = 0.05
FREQUENT_MIN = 200  # a small knowledge base keeps every word
# Ranking reads every candidate's vector: at most this many title/tag matches (all of them, in
# practice: few titles share a word) and body matches are ranked. A word found in the bodies
# of more articles than that ranks the title matches exactly and a sample of the body ones.
TITLE_CANDIDATES = 300
BODY_CANDIDATES = 300
MAX_ANY_TERMS = 32
_MARK_START, _MARK_STOP = "\ue000", "\ue001"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Audience:
    """Who is looking: agents see internal articles; a customer's tier rank opens the
    articles of that tier and the tiers below; anonymous visitors see public ones only."""

    staff: bool = False
    tier_rank: int | None = None


@dataclass(frozen=True)
class Hit:
    translation_id: int
    score: float
    headline: str  # safe HTML: escaped text with <mark> around the matched words


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _config_case(column: str) -> str:
    cases = " ".join(
        f"WHEN '{code}' THEN '{locale.search_config}'" for code, locale in LOCALES.items()
    )
    return f"(CASE {column} {cases} ELSE 'simple' END)::regconfig"


def _unaccented(locale_column: str, expression: str) -> str:
    """unaccent() for the locales searched with `simple`, the text as is for the stemmers
    (unaccent would turn Russian й into и and confuse the Russian stemmer)."""
    simple = ", ".join(f"'{c}'" for c, loc in LOCALES.items() if loc.search_config == "simple")
    return (
        f"(CASE WHEN {locale_column} IN ({simple}) THEN unaccent({expression})"
        f" ELSE {expression} END)"
    )


def index_translations(translation_ids: list[int]) -> None:
    """Recompute the stored search vectors of these translations (call after saving them or
    their article's tags). No-op on SQLite."""
    if not translation_ids or not is_postgres():
        return
    config = _config_case("t.locale")
    head_config = _config_case("h.locale")
    title = _unaccented("h.locale", "h.title")
    tags = _unaccented(
        "h.locale",
        "coalesce((SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(a.tags)), '')",
    )
    body = _unaccented("t.locale", "t.body_text")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE knowledge_articletranslation t
            SET search_vector = v.head || setweight(to_tsvector({config}, {body}), 'C'),
                title_vector = v.head
            FROM (
                SELECT h.id,
                       setweight(to_tsvector({head_config}, {title}), 'A')
                       || setweight(to_tsvector({head_config}, {tags}), 'B') AS head
                FROM knowledge_articletranslation h
                JOIN knowledge_article a ON a.id = h.article_id
                WHERE h.id = ANY(%s)
            ) v
            WHERE v.id = t.id
            """,  # noqa: S608 - only our own constants are interpolated
            [list(translation_ids)],
        )
        # New words join the lexicon at once (typo correction finds them); their counts
        # are the hourly rebuild's.
        cursor.execute(
            """
            INSERT INTO knowledge_searchterm (locale, lexeme, documents)
            SELECT DISTINCT t.locale, left(word, 200), 1
            FROM knowledge_articletranslation t,
                 unnest(tsvector_to_array(t.search_vector)) AS word
            WHERE t.id = ANY(%s)
            ON CONFLICT (locale, lexeme) DO NOTHING
            """,
            [list(translation_ids)],
        )


def lexicon_rebuild() -> int:
    """Recount the lexicon from the published articles (ts_stat over each locale's vectors)
    in one transaction; returns the number of lexemes. A row with an empty lexeme holds the
    locale's number of published translations."""
    if not is_postgres():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM knowledge_searchterm")
        for code in LOCALES:
            documents = (
                "SELECT t.search_vector FROM knowledge_articletranslation t "  # noqa: S608
                "JOIN knowledge_article a ON a.id = t.article_id "
                f"WHERE a.status = 'published' AND t.locale = '{code}'"
            )
            cursor.execute(
                "INSERT INTO knowledge_searchterm (locale, lexeme, documents) "
                "SELECT %s, left(word, 200), ndoc FROM ts_stat(%s) "
                "ON CONFLICT (locale, lexeme) DO NOTHING",
                [code, documents],
            )
            cursor.execute(
                "INSERT INTO knowledge_searchterm (locale, lexeme, documents) "
                "SELECT %s, '', count(*) FROM knowledge_articletranslation t "
                "JOIN knowledge_article a ON a.id = t.article_id "
                "WHERE a.status = 'published' AND t.locale = %s",
                [code, code],
            )
        cursor.execute("SELECT count(*) FROM knowledge_searchterm WHERE lexeme <> ''")
        return cursor.fetchone()[0]


def _prefix_query(text: str, operator: str) -> str:
    """A tsquery of word prefixes for the unstemmed locales: words of five letters or more
    lose their last two (inflection), shorter ones are matched as prefixes whole."""
    terms = []
    for word in _WORD.findall(text.lower())[:MAX_ANY_TERMS]:
        stem = word[:-2] if len(word) >= 5 else word
        terms.append("'" + stem.replace("'", "") + "':*")
    return f" {operator} ".join(terms)


def _tsquery_sql(locale_code: str, text: str, *, match_all: bool) -> tuple[str, list]:
    locale = locale_of(locale_code)
    if locale.search_config == "simple":
        return "to_tsquery('simple', unaccent(%s))", [
            _prefix_query(text, "&" if match_all else "|")
        ]
    config = f"'{locale.search_config}'::regconfig"
    if match_all:
        return f"websearch_to_tsquery({config}, %s)", [text]
    # Any of the words (a draft ticket is long; it will not contain all of an article), but
    # only the informative ones: lexemes in more than FREQUENT_SHARE of the locale's
    # articles (and more than FREQUENT_MIN, per the lexicon) tell nothing apart and each
    # would cost a posting list of tens of thousands; the rarest ANY_TERMS are kept (at
    # least the three rarest). Words the lexicon lacks are in no article (saves add theirs).
    return (
        "(SELECT coalesce(to_tsquery('simple', string_agg(quote_literal(word), ' | ')), "  # noqa: S608
        "''::tsquery) FROM ("
        "SELECT w.word, row_number() OVER (ORDER BY coalesce(st.documents, 0), w.word) AS n, "
        "coalesce(st.documents, 0) AS documents, "
        "(SELECT documents FROM knowledge_searchterm WHERE locale = %s AND lexeme = '') "
        "AS total "
        f"FROM unnest(tsvector_to_array(to_tsvector({config}, %s))) AS w(word) "
        "JOIN knowledge_searchterm st ON st.locale = %s AND st.lexeme = w.word"
        f") words WHERE n <= {ANY_TERMS} AND (n <= 3 OR total IS NULL "
        f"OR documents <= GREATEST(total * {FREQUENT_SHARE}, {FREQUENT_MIN})))",
        [locale.code, text, locale.code],
    )


def _visibility_sql(audience: Audience) -> tuple[str, list]:
    clauses = ["a.visibility = 'public'"]
    params: list = []
    if audience.tier_rank is not None:
        clauses.append("(a.visibility = 'tiers' AND tier.rank <= %s)")
        params.append(audience.tier_rank)
    if audience.staff:
        clauses.append("a.visibility = 'internal'")
    return "(" + " OR ".join(clauses) + ")", params


def _safe_headline(raw: str) -> str:
    escaped = html.escape(raw or "")
    return escaped.replace(_MARK_START, "<mark>").replace(_MARK_STOP, "</mark>")


def search(
    *, text: str, locale: str, audience: Audience, limit: int = 10, match_all: bool = True
) -> list[Hit]:
    """Published translations in `locale` matching `text`, best first, visible to
    `audience`. `match_all` for a search box (every word; a misspelled word is corrected to
    the nearest lexeme of the lexicon when nothing matched), False for suggestions from a
    draft ticket (any informative word, ranked by how many and where)."""
    text = (text or "").strip()[:2000]
    if not text or limit <= 0:
        return []
    code = locale_of(locale).code
    if not is_postgres():
        return _search_fallback(text=text, locale=code, audience=audience, limit=limit)
    query_sql, query_params = _tsquery_sql(code, text, match_all=match_all)
    with connection.cursor() as cursor:
        hits = _ranked(cursor, query_sql, query_params, code, audience, limit)
        if match_all and not hits and len(text) <= 100:
            corrected = _corrected_query(cursor, code, text)
            if corrected:
                hits = _ranked(
                    cursor, "to_tsquery('simple', %s)", [corrected], code, audience, limit
                )
    return hits


def _ranked(cursor, query_sql: str, query_params: list, code: str, audience, limit: int):
    visibility_sql, visibility_params = _visibility_sql(audience)
    config = f"'{locale_of(code).search_config}'::regconfig"
    options = f"StartSel={_MARK_START}, StopSel={_MARK_STOP}, MaxWords=30, MinWords=12"
    cursor.execute(
        f"""
        WITH q AS MATERIALIZED (SELECT {query_sql} AS query),
        candidates AS (
            (SELECT t.id FROM knowledge_articletranslation t
             JOIN knowledge_article a ON a.id = t.article_id
             LEFT JOIN slas_slatier tier ON tier.id = a.min_tier_id
             CROSS JOIN q
             WHERE t.locale = %s AND t.title_vector @@ q.query
               AND a.status = 'published' AND {visibility_sql}
             LIMIT {TITLE_CANDIDATES})
            UNION
            (SELECT t.id FROM knowledge_articletranslation t
             JOIN knowledge_article a ON a.id = t.article_id
             LEFT JOIN slas_slatier tier ON tier.id = a.min_tier_id
             CROSS JOIN q
             WHERE t.locale = %s AND t.search_vector @@ q.query
               AND a.status = 'published' AND {visibility_sql}
             LIMIT {BODY_CANDIDATES})
        ),
        ranked AS (
            SELECT t.id, t.body_text, ts_rank_cd(t.search_vector, q.query, 32) AS score
            FROM candidates c
            JOIN knowledge_articletranslation t ON t.id = c.id
            CROSS JOIN q
            ORDER BY score DESC, t.id
            LIMIT %s
        )
        SELECT ranked.id, ranked.score,
               ts_headline({config}, left(ranked.body_text, 5000), q.query, %s)
        FROM ranked CROSS JOIN q
        ORDER BY ranked.score DESC, ranked.id
        """,  # noqa: S608 - only our own constants are interpolated
        [*query_params, code, *visibility_params, code, *visibility_params, limit, options],
    )
    return [Hit(row[0], float(row[1]), _safe_headline(row[2])) for row in cursor.fetchall()]


def _corrected_query(cursor, code: str, text: str) -> str:
    """The query with each word the lexicon does not know replaced by its nearest known
    lexeme (pg_trgm similarity >= 0.3, served by the lexicon's trigram index): "shiping" ->
    "ship", "доствка" -> "доставк". "" when nothing could be corrected."""
    locale = locale_of(code)
    source = "unaccent(%s)" if locale.search_config == "simple" else "%s"
    cursor.execute(
        f"SELECT word FROM unnest(tsvector_to_array(to_tsvector("  # noqa: S608
        f"'{locale.search_config}'::regconfig, {source}))) AS word LIMIT 6",
        [text],
    )
    words = [row[0] for row in cursor.fetchall()]
    corrected, changed = [], False
    for word in words:
        cursor.execute(
            "SELECT lexeme FROM knowledge_searchterm WHERE locale = %s AND lexeme <> '' "
            "AND (lexeme = %s OR lexeme %% %s) "
            "ORDER BY lexeme = %s DESC, similarity(lexeme, %s) DESC, documents DESC LIMIT 1",
            [code, word, word, word, word],
        )
        row = cursor.fetchone()
        if row is None:
            return ""  # a word like nothing we have: no correction finds it
        changed = changed or row[0] != word
        corrected.append(row[0])
    if not changed:
        return ""
    suffix = ":*" if locale.search_config == "simple" else ""
    return " & ".join("'" + word.replace("'", "''") + "'" + suffix for word in corrected)


def _search_fallback(*, text: str, locale: str, audience: Audience, limit: int) -> list[Hit]:
    """SQLite: substring matches of the query's words; title 3, tags 2, body 1 per word."""
    from django.db.models import Q

    from .models import ArticleTranslation

    words = _WORD.findall(text.lower())[:MAX_ANY_TERMS]
    if not words:
        return []
    visible = Q(article__visibility="public")
    if audience.tier_rank is not None:
        visible |= Q(article__visibility="tiers", article__min_tier__rank__lte=audience.tier_rank)
    if audience.staff:
        visible |= Q(article__visibility="internal")
    matches = Q()
    for word in words:
        matches |= Q(title__icontains=word) | Q(body_text__icontains=word)
    rows = (
        ArticleTranslation.objects.filter(
            visible, matches, locale=locale, article__status="published"
        )
        .select_related("article")
        .order_by("id")[:500]
    )
    scored = []
    for row in rows:
        title, body = row.title.lower(), row.body_text.lower()
        tags = " ".join(row.article.tags).lower()
        score = sum(3 * (word in title) + 2 * (word in tags) + (word in body) for word in words)
        snippet = html.escape(row.body_text[:200])
        scored.append(Hit(row.id, score / (3 * len(words) * 2), snippet))
    scored.sort(key=lambda hit: (-hit.score, hit.translation_id))
    return scored[:limit]
