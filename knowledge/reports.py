"""The self-service report: how much self-service deflects, per tier and per article, what
visitors read and found helpful, and what they searched for in vain (content gaps)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from django.db.models import Count, Q
from django.db.models.functions import Lower

from slas.models import SlaTier

from .models import ArticleFeedback, ArticleTranslation, ArticleView, Deflection, Outcome, SearchLog

CONTENT_GAPS = 50


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def self_service_report(*, since: datetime, until: datetime) -> dict:
    """Deflection rate = suggestion sets whose visitor reported "solved" (no ticket needed)
    among all suggestion sets of the period. Per article: times suggested, times it solved
    the question, views, helpful yes/no. Content gaps: the most frequent searches (help
    center, API and suggestions) that found no article."""
    period = Q(created_at__gte=since, created_at__lt=until)
    deflections = Deflection.objects.filter(period).values_list(
        "tier_id", "outcome", "outcome_article_id", "articles"
    )
    outcomes: Counter[str] = Counter()
    tiers: dict[int | None, Counter[str]] = defaultdict(Counter)
    suggested: Counter[int] = Counter()
    solved_by: Counter[int] = Counter()
    for tier_id, outcome, article_id, shown in deflections.iterator(chunk_size=2000):
        outcomes[outcome] += 1
        tiers[tier_id][outcome] += 1
        for row in shown:
            suggested[row["article"]] += 1
        if outcome == Outcome.SOLVED and article_id is not None:
            solved_by[article_id] += 1
    total = sum(outcomes.values())

    views = Counter(
        dict(
            ArticleView.objects.filter(period)
            .values("article_id")
            .annotate(n=Count("id"))
            .values_list("article_id", "n")
        )
    )
    votes: dict[int, dict[str, int]] = defaultdict(lambda: {"yes": 0, "no": 0})
    for article_id, helpful, n in (
        ArticleFeedback.objects.filter(period)
        .values("article_id", "helpful")
        .annotate(n=Count("id"))
        .values_list("article_id", "helpful", "n")
    ):
        votes[article_id]["yes" if helpful else "no"] += n

    article_ids = set(suggested) | set(views) | set(votes) | set(solved_by)
    titles: dict[int, str] = {}
    for translation in ArticleTranslation.objects.filter(article_id__in=article_ids).order_by(
        "article_id", "locale"
    ):
        if translation.article_id not in titles or translation.locale == "en":
            titles[translation.article_id] = translation.title
    articles = [
        {
            "article": article_id,
            "title": titles.get(article_id, ""),
            "suggested": suggested[article_id],
            "solved": solved_by[article_id],
            "deflection_rate": _rate(solved_by[article_id], suggested[article_id]),
            "views": views[article_id],
            "helpful_yes": votes[article_id]["yes"] if article_id in votes else 0,
            "helpful_no": votes[article_id]["no"] if article_id in votes else 0,
            "helpful_rate": _rate(
                votes[article_id]["yes"], votes[article_id]["yes"] + votes[article_id]["no"]
            )
            if article_id in votes
            else None,
        }
        for article_id in sorted(article_ids)
    ]
    articles.sort(key=lambda row: (-row["views"], -row["suggested"], row["article"]))

    tier_names = dict(
        SlaTier.objects.filter(pk__in=[t for t in tiers if t]).values_list("pk", "name")
    )
    by_tier = [
        {
            "tier": tier_id,
            "name": tier_names.get(tier_id, "") if tier_id else "(no tier / anonymous)",
            "suggestions": sum(counts.values()),
            "solved": counts[Outcome.SOLVED],
            "tickets": counts[Outcome.TICKET],
            "deflection_rate": _rate(counts[Outcome.SOLVED], sum(counts.values())),
        }
        for tier_id, counts in sorted(
            tiers.items(), key=lambda item: (item[0] is None, item[0] or 0)
        )
    ]
    gaps = (
        SearchLog.objects.filter(period, results=0)
        .annotate(text=Lower("query"))
        .values("text", "locale")
        .annotate(searches=Count("id"))
        .order_by("-searches", "text")[:CONTENT_GAPS]
    )
    return {
        "since": since,
        "until": until,
        "deflection": {
            "suggestions": total,
            "viewed": outcomes[Outcome.VIEWED],
            "solved": outcomes[Outcome.SOLVED],
            "tickets": outcomes[Outcome.TICKET],
            "no_outcome": outcomes[Outcome.PENDING],
            "deflection_rate": _rate(outcomes[Outcome.SOLVED], total),
        },
        "by_tier": by_tier,
        "articles": articles,
        "content_gaps": [
            {"query": row["text"], "locale": row["locale"], "searches": row["searches"]}
            for row in gaps
        ],
    }
