"""Reads of the knowledge base that decide visibility: who may read which article, search,
and the suggestions shown before a ticket is written.

Visibility, the one rule: customers and anonymous visitors see published articles that are
public, or tier-only with a minimum tier at or below the customer's tier; agents also see
internal ones; the agents' API (articles_for_staff) sees every status.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse

from slas.selectors import customer_tier
from tickets.channels import registry
from tickets.channels.models import Channel

from . import search
from .locales import locale_of
from .models import Article, ArticleTranslation, Category, CategoryTranslation, Status, Visibility
from .search import Audience


def audience_for(*, user=None, customer=None) -> Audience:
    """Agents and managers are staff; an integration reads as an anonymous visitor unless it
    names the customer; a customer reads with their tier (own, else organization's)."""
    staff = bool(user is not None and user.is_authenticated and (user.is_agent or user.is_manager))
    tier = customer_tier_of(customer)
    return Audience(staff=staff, tier_rank=tier.rank if tier is not None else None)


def customer_tier_of(customer):
    if customer is None:
        return None
    return customer_tier(customer)


def _visible(audience: Audience, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}visibility": Visibility.PUBLIC})
    if audience.tier_rank is not None:
        q |= Q(
            **{
                f"{prefix}visibility": Visibility.TIERS,
                f"{prefix}min_tier__rank__lte": audience.tier_rank,
            }
        )
    if audience.staff:
        q |= Q(**{f"{prefix}visibility": Visibility.INTERNAL})
    return q & Q(**{f"{prefix}status": Status.PUBLISHED})


def articles_visible_to(audience: Audience) -> QuerySet[Article]:
    """Published articles this audience may read (pages, suggestions, the public API)."""
    return Article.objects.filter(_visible(audience))


def translations_visible_to(audience: Audience, locale: str) -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.filter(
        _visible(audience, "article__"), locale=locale_of(locale).code
    ).select_related("article")


def articles_for_staff(user) -> QuerySet[Article]:
    """The agents' API: every article in every status, with what the serializer reads."""
    if not user.is_authenticated or not (user.is_agent or user.is_manager):
        return Article.objects.none()
    return Article.objects.select_related("category", "min_tier").prefetch_related(
        "translations", "related", "attachments"
    )


def categories_with(locale: str) -> QuerySet[Category]:
    return Category.objects.prefetch_related(
        Prefetch(
            "translations",
            queryset=CategoryTranslation.objects.filter(locale=locale_of(locale).code),
            to_attr="in_locale",
        )
    )


def article_url(translation: ArticleTranslation, *, absolute: bool = False) -> str:
    path = reverse("help-article", kwargs={"locale": translation.locale, "slug": translation.slug})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path if absolute else path


@dataclass(frozen=True)
class SearchResult:
    article: Article
    translation: ArticleTranslation
    score: float
    headline: str  # safe HTML


def search_articles(
    *, query: str, locale: str, audience: Audience, limit: int = 10, match_all: bool = True
) -> list[SearchResult]:
    """Ranked, highlighted search in one locale, never beyond the audience's reach."""
    hits = search.search(
        text=query, locale=locale, audience=audience, limit=limit, match_all=match_all
    )
    rows = (
        ArticleTranslation.objects.select_related("article")
        .defer("search_vector", "title_vector", "body_md", "body_html", "body_text")
        .in_bulk([hit.translation_id for hit in hits])
    )
    return [
        SearchResult(
            rows[hit.translation_id].article, rows[hit.translation_id], hit.score, hit.headline
        )
        for hit in hits
        if hit.translation_id in rows
    ]


@dataclass(frozen=True)
class Suggestion:
    """An article suggested for a draft ticket; `url` is absolute (emails, widgets)."""

    article: Article
    translation: ArticleTranslation
    score: float
    url: str


def suggest_articles(*, text: str, locale: str, customer=None, limit: int = 5) -> list[Suggestion]:
    """The best published articles for a draft ticket's text (subject and body), in the
    customer's locale, that the customer (or an anonymous visitor) may read. Any word of the
    draft counts; title matches weigh most. Logs nothing (callers record deflections)."""
    return _suggest(text, locale, audience_for(customer=customer), limit)


def _suggest(text: str, locale: str, audience: Audience, limit: int) -> list[Suggestion]:
    results = search_articles(
        query=text[:2000], locale=locale, audience=audience, limit=limit, match_all=False
    )
    return [
        Suggestion(r.article, r.translation, r.score, article_url(r.translation, absolute=True))
        for r in results
    ]


@dataclass(frozen=True)
class HelpChannel:
    kind: str
    name: str
    label: str  # what to show: an address, a number, an account
    href: str  # mailto:/tel:/a page, or "" when the channel has no link


def help_channels(*, tier=None) -> list[HelpChannel]:
    """ "Still need help?": the active channels the visitor's tier serves (a tier listing
    no channels serves all), or every active channel for an anonymous visitor."""

    channels = Channel.objects.filter(is_active=True).order_by("kind", "name")
    if tier is not None and tier.channels:
        channels = channels.filter(kind__in=tier.channels)
    shown = []
    for channel in channels:
        adapter = registry.find(channel.kind)
        contact = adapter.public_contact(channel) if adapter and adapter.public_contact else None
        if contact is not None:
            shown.append(HelpChannel(channel.kind, channel.name, *contact))
    return shown


def suggestions_for_ticket(ticket, *, tier=None, limit: int = 5) -> list[Suggestion]:
    """The desk's "Suggested articles" for a ticket from any channel: its subject and first
    customer message, in the customer's language, as the customer (on `tier`, the ticket's)
    may read them; never internal articles: the agent sends these links to the customer."""
    from .handlers import customer_locale

    first = (
        ticket.messages.filter(direction="inbound")
        .order_by("id")
        .values_list("body_text", flat=True)
        .first()
    )
    text = f"{ticket.subject}\n{first or ''}"
    audience = Audience(tier_rank=tier.rank if tier is not None else None)
    return _suggest(text, customer_locale(ticket.requester, text), audience, limit)
