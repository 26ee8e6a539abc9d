"""What visitors do with the knowledge base: article views, "was this helpful?" votes, searches
(the content gaps are the ones that found nothing), and deflection (what was suggested before a
ticket, and its outcome), so the self-service report counts what happened."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    Article,
    ArticleFeedback,
    ArticleView,
    Deflection,
    Outcome,
    SearchLog,
)


def view_record(*, article: Article, locale: str, tier=None) -> ArticleView:
    return ArticleView.objects.create(article=article, locale=locale, tier=tier)


def feedback_record(
    *, article: Article, locale: str, visitor: str, helpful: bool, comment: str = ""
) -> tuple[ArticleFeedback, bool]:
    """One vote per visitor and article (the unique constraint decides, also under races):
    voting again changes the visitor's vote instead of adding one. Returns (vote, created)."""
    comment = (comment or "").strip()[:2000]
    try:
        with transaction.atomic():
            return (
                ArticleFeedback.objects.create(
                    article=article,
                    locale=locale,
                    visitor=visitor,
                    helpful=helpful,
                    comment=comment,
                ),
                True,
            )
    except IntegrityError:
        vote = ArticleFeedback.objects.get(article=article, visitor=visitor)
        vote.helpful, vote.comment = helpful, comment or vote.comment
        vote.save(update_fields=["helpful", "comment"])
        return vote, False


def search_log_record(*, query: str, locale: str, source: str, results: int) -> SearchLog:
    return SearchLog.objects.create(
        query=query.strip()[:500], locale=locale, source=source, results=results
    )


@transaction.atomic
def deflection_record(
    *, subject: str, body: str, locale: str, customer, tier, requested_by, suggestions
) -> Deflection:
    """What was suggested for a draft ticket, so its outcome can be reported later."""
    return Deflection.objects.create(
        subject=subject[:250],
        body=body,
        locale=locale,
        customer=customer,
        tier=tier,
        requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
        articles=[{"article": s.article.pk, "score": round(s.score, 4)} for s in suggestions],
    )


@transaction.atomic
def deflection_outcome(
    *, deflection: Deflection, outcome: str, article: Article | None = None, ticket=None
) -> Deflection:
    """Record what the visitor did after seeing the suggestions. Outcomes only move forward
    (pending < viewed < solved / ticket), so a late "viewed" never undoes a "solved"; a
    ticket after "solved" is the truth (the article did not solve it) and wins."""
    order = {Outcome.PENDING: 0, Outcome.VIEWED: 1, Outcome.SOLVED: 2, Outcome.TICKET: 3}
    deflection = Deflection.objects.select_for_update().get(pk=deflection.pk)
    if outcome == Outcome.TICKET and ticket is None:
        raise ValidationError({"ticket": ["Name the ticket that was created."]}, code="required")
    if article is not None and article.pk not in {row["article"] for row in deflection.articles}:
        raise ValidationError({"article": ["This article was not among the suggestions."]})
    if order[outcome] >= order[Outcome(deflection.outcome)]:
        deflection.outcome = outcome
        deflection.outcome_at = timezone.now()
        if article is not None:
            deflection.outcome_article = article
        if ticket is not None:
            deflection.ticket = ticket
        deflection.save()
    if outcome == Outcome.VIEWED and article is not None:
        view_record(article=article, locale=deflection.locale, tier=deflection.tier)
    return deflection
