"""The help center: public, server-rendered pages in the visitor's language.

The language comes from the URL (/help/ru/...); /help/ picks it from the visitor's cookie
(set by the language switcher), else Accept-Language, else English. Persian pages are
right-to-left (dir="rtl"; the CSS uses logical properties, so the layout mirrors).
What a visitor may read is the selectors' rule: anonymous visitors see public articles; a
customer signed in through the portal (request.customer, set by portal/) also their tier's;
a signed-in agent also internal ones.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import feedback, selectors
from .locales import LOCALES, from_accept_language
from .models import ArticleAttachment, ArticleTranslation, CategoryTranslation, SearchSource
from .ui import STRINGS

LOCALE_COOKIE = "help_locale"
VISITOR_COOKIE = "help_visitor"
VISITOR_SALT = "knowledge.visitor"
VOTES_PER_WINDOW = 20
VOTE_WINDOW_SECONDS = 600


def _customer(request: HttpRequest):
    return getattr(request, "customer", None)


def _audience(request: HttpRequest):
    return selectors.audience_for(user=request.user, customer=_customer(request))


def _context(request: HttpRequest, locale: str, alternates: dict[str, str] | None = None, **extra):
    current = LOCALES[locale]
    switch = alternates or {code: reverse("help-home", args=[code]) for code in LOCALES}
    return {
        "locale": current,
        "t": STRINGS[locale],
        "languages": [
            {
                "code": code,
                "name": LOCALES[code].name,
                "url": switch.get(code),
                "current": code == locale,
            }
            for code in LOCALES
            if switch.get(code)
        ],
        **extra,
    }


def _page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response.set_cookie(LOCALE_COOKIE, context["locale"].code, max_age=365 * 86400, samesite="Lax")
    return response


def _check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise Http404("Unknown language")
    return locale


@require_GET
def home_redirect(request: HttpRequest) -> HttpResponse:
    chosen = request.COOKIES.get(LOCALE_COOKIE)
    if chosen not in LOCALES:
        chosen = from_accept_language(request.headers.get("Accept-Language", "")) or "en"
    response = redirect("help-home", locale=chosen)
    response["Vary"] = "Accept-Language, Cookie"
    return response


@require_GET
def home(request: HttpRequest, locale: str) -> HttpResponse:
    locale = _check_locale(locale)
    translations = list(
        selectors.translations_visible_to(_audience(request), locale).order_by(
            "-article__published_at", "-id"
        )[:200]
    )
    by_category: dict[int | None, list[ArticleTranslation]] = {}
    for translation in translations:
        by_category.setdefault(translation.article.category_id, []).append(translation)
    categories = [
        {
            "translation": row,
            "articles": by_category.get(row.category_id, [])[:6],
            "count": len(by_category.get(row.category_id, [])),
        }
        for row in CategoryTranslation.objects.filter(locale=locale)
        .select_related("category")
        .order_by("category__position", "category_id")
    ]
    return _page(
        request,
        "knowledge/home.html",
        _context(request, locale, categories=categories, latest=translations[:8]),
    )


@require_GET
def category(request: HttpRequest, locale: str, slug: str) -> HttpResponse:
    locale = _check_locale(locale)
    row = CategoryTranslation.objects.filter(locale=locale, slug=slug).first()
    if row is None:
        raise Http404("No such category")
    articles = (
        selectors.translations_visible_to(_audience(request), locale)
        .filter(article__category_id=row.category_id)
        .order_by("title")
    )
    alternates = {
        other.locale: reverse("help-category", args=[other.locale, other.slug])
        for other in CategoryTranslation.objects.filter(category_id=row.category_id)
    }
    return _page(
        request,
        "knowledge/category.html",
        _context(request, locale, alternates, category=row, articles=articles),
    )


@require_GET
def article(request: HttpRequest, locale: str, slug: str) -> HttpResponse:
    locale = _check_locale(locale)
    audience = _audience(request)
    translation = (
        selectors.translations_visible_to(audience, locale)
        .select_related("article__category")
        .filter(slug=slug)
        .first()
    )
    if translation is None:
        raise Http404("No such article")
    article = translation.article
    siblings = list(article.translations.all())
    alternates = {
        other.locale: reverse("help-article", args=[other.locale, other.slug]) for other in siblings
    }
    related = selectors.translations_visible_to(audience, locale).filter(
        article__in=article.related.all()
    )
    category_row = (
        CategoryTranslation.objects.filter(category_id=article.category_id, locale=locale).first()
        if article.category_id
        else None
    )
    tier = selectors.customer_tier_of(_customer(request))
    feedback.view_record(article=article, locale=locale, tier=tier)
    context = _context(
        request,
        locale,
        alternates,
        translation=translation,
        article=article,
        category=category_row,
        related=related,
        attachments=article.attachments.all(),
        channels=selectors.help_channels(tier=tier),
        voted=request.GET.get("voted") == "1",
        too_many=request.GET.get("voted") == "limit",
    )
    return _page(request, "knowledge/article.html", context)


@require_GET
def search_page(request: HttpRequest, locale: str) -> HttpResponse:
    locale = _check_locale(locale)
    query = request.GET.get("q", "").strip()[:200]
    results = []
    if query:
        results = selectors.search_articles(
            query=query, locale=locale, audience=_audience(request), limit=20
        )
        feedback.search_log_record(
            query=query, locale=locale, source=SearchSource.HELP_CENTER, results=len(results)
        )
    alternates = {
        code: reverse("help-search", args=[code]) + "?" + urlencode({"q": query})
        for code in LOCALES
    }
    return _page(
        request,
        "knowledge/search.html",
        _context(
            request,
            locale,
            alternates,
            query=query,
            results=results,
            channels=selectors.help_channels(tier=selectors.customer_tier_of(_customer(request))),
        ),
    )


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _rate_limited(request: HttpRequest) -> bool:
    """At most VOTES_PER_WINDOW votes per address per window (a fixed window in the cache)."""
    key = f"help-votes:{_client_address(request)}"
    cache.add(key, 0, VOTE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, VOTE_WINDOW_SECONDS)
        count = 1
    return count > VOTES_PER_WINDOW


@require_POST
def vote(request: HttpRequest, locale: str, slug: str) -> HttpResponse:
    """ "Was this helpful?": no login; one vote per visitor (signed cookie id) and article;
    voting again changes the vote. Rate-limited per address."""
    locale = _check_locale(locale)
    translation = (
        selectors.translations_visible_to(_audience(request), locale).filter(slug=slug).first()
    )
    if translation is None:
        raise Http404("No such article")
    target = reverse("help-article", args=[locale, slug])
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return redirect(target)
    if _rate_limited(request):
        response = redirect(f"{target}?voted=limit#feedback")
        response.status_code = 303
        return response
    visitor = request.get_signed_cookie(VISITOR_COOKIE, default=None, salt=VISITOR_SALT)
    visitor = visitor or uuid.uuid4().hex
    feedback.feedback_record(
        article=translation.article,
        locale=locale,
        visitor=visitor,
        helpful=helpful == "yes",
        comment=request.POST.get("comment", ""),
    )
    response = redirect(f"{target}?voted=1#feedback")
    response.status_code = 303
    response.set_signed_cookie(
        VISITOR_COOKIE,
        visitor,
        salt=VISITOR_SALT,
        max_age=2 * 365 * 86400,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG and request.is_secure(),
    )
    return response


@require_GET
def file(request: HttpRequest, pk: int, filename: str) -> HttpResponse:
    """An article's image or file, for whoever may read the article (drafts: agents)."""
    attachment = ArticleAttachment.objects.filter(pk=pk, filename=filename).first()
    if attachment is None:
        raise Http404("No such file")
    audience = _audience(request)
    readable = selectors.articles_visible_to(audience).filter(pk=attachment.article_id).exists()
    if not readable and not audience.staff:
        raise Http404("No such file")
    inline = (
        attachment.content_type.startswith("image/") and attachment.content_type != "image/svg+xml"
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
