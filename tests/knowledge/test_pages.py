"""The help center pages: language from URL / cookie / Accept-Language, right-to-left
Persian, visibility, votes (one per visitor, rate-limited), "Still need help?"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from knowledge.models import ArticleFeedback, ArticleView, SearchLog
from tests.factories import ArticleFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return Client()


def test_help_root_follows_the_browser_language(visitor):
    response = visitor.get("/help/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,ru;q=0.8,en;q=0.5")

    assert response.status_code == 302
    assert response["Location"] == "/help/ru/"


def test_help_root_prefers_the_language_the_visitor_chose(visitor):
    visitor.get("/help/lt/")

    response = visitor.get("/help/", HTTP_ACCEPT_LANGUAGE="ru")

    assert response["Location"] == "/help/lt/"


def test_persian_pages_are_right_to_left(visitor):
    ArticleFactory(locale="fa", title="ارسال سفارش", body_md="سفارش در دو روز ارسال می‌شود.")

    page = visitor.get("/help/fa/").content.decode()

    assert '<html lang="fa" dir="rtl">' in page
    assert "ارسال سفارش" in page
    assert "مرکز راهنما" in page


def test_unknown_language_is_not_found(visitor):
    assert visitor.get("/help/de/").status_code == 404


def test_article_page_shows_rendered_body_and_records_a_view(visitor):
    article = ArticleFactory(title="Reset your password", body_md="1. Open **Settings**")
    slug = article.translations.get().slug

    response = visitor.get(f"/help/en/articles/{slug}/")

    assert response.status_code == 200
    assert "<strong>Settings</strong>" in response.content.decode()
    assert ArticleView.objects.filter(article=article).count() == 1


def test_language_switcher_links_to_the_same_article_in_other_languages(visitor):
    article = ArticleFactory(
        translations={
            "en": {"title": "Delivery times", "body_md": "Two days."},
            "ru": {"title": "Сроки доставки", "body_md": "Два дня."},
        }
    )
    ru_url = reverse("help-article", args=["ru", article.translations.get(locale="ru").slug])

    page = visitor.get("/help/en/articles/delivery-times/").content.decode()

    assert f'href="{ru_url}"' in page
    assert visitor.get(ru_url).status_code == 200
    assert 'href="/help/fa/' not in page  # no Persian translation: no dead link


def test_anonymous_visitor_never_sees_internal_draft_or_tier_articles(visitor):
    gold = TierFactory(rank=40)
    hidden = [
        ArticleFactory(title="Playbook", visibility="internal"),
        ArticleFactory(title="Gold perks", visibility="tiers", min_tier=gold),
        ArticleFactory(title="Unfinished", status="draft"),
    ]

    for article in hidden:
        slug = article.translations.get().slug
        assert visitor.get(f"/help/en/articles/{slug}/").status_code == 404
    home = visitor.get("/help/en/").content.decode()
    search = visitor.get("/help/en/search/", {"q": "playbook gold unfinished"}).content.decode()
    for title in ("Playbook", "Gold perks", "Unfinished"):
        assert title not in home
        assert title not in search


def test_signed_in_agent_reads_internal_articles(visitor):
    article = ArticleFactory(title="Playbook", visibility="internal")
    visitor.force_login(UserFactory())

    assert visitor.get(f"/help/en/articles/{article.translations.get().slug}/").status_code == 200


def test_search_page_highlights_and_logs_searches_that_found_nothing(visitor):
    ArticleFactory(title="Invoices", body_md="Download your invoice as PDF.")

    found = visitor.get("/help/en/search/", {"q": "invoice"}).content.decode()
    visitor.get("/help/en/search/", {"q": "crypto payments"})

    assert "<mark>" in found
    assert SearchLog.objects.get(query="crypto payments").results == 0


def test_one_vote_per_visitor_and_article(visitor):
    article = ArticleFactory(title="Refunds")
    url = f"/help/en/articles/{article.translations.get().slug}/vote/"

    first = visitor.post(url, {"helpful": "no", "comment": "Too short"})
    visitor.post(url, {"helpful": "yes"})

    assert first.status_code == 303
    vote = ArticleFeedback.objects.get(article=article)
    assert (vote.helpful, vote.comment) == (True, "Too short")


def test_votes_are_rate_limited_per_address(visitor):
    articles = [ArticleFactory(title=f"Topic {n}") for n in range(21)]

    for article in articles:
        Client().post(
            f"/help/en/articles/{article.translations.get().slug}/vote/", {"helpful": "yes"}
        )

    assert ArticleFeedback.objects.count() == 20


def test_still_need_help_lists_the_channels_of_the_visitors_plan(visitor):
    from tickets.channels.config import channel_save
    from tickets.channels.models import Channel

    channel_save(
        channel=Channel(), kind="email", name="Mail", settings={"address": "help@acme.test"}
    )
    channel_save(channel=Channel(), kind="phone", name="Line", settings={"number": "+442079460000"})
    article = ArticleFactory(title="Refunds")

    page = visitor.get(f"/help/en/articles/{article.translations.get().slug}/").content.decode()

    assert "Still need help?" in page
    assert 'href="mailto:help@acme.test"' in page
    assert 'href="tel:+442079460000"' in page


def test_still_need_help_for_a_tier_shows_only_its_channels():
    from knowledge.selectors import help_channels
    from tickets.channels.config import channel_save
    from tickets.channels.models import Channel

    channel_save(
        channel=Channel(), kind="email", name="Mail", settings={"address": "help@acme.test"}
    )
    channel_save(channel=Channel(), kind="phone", name="Line", settings={"number": "+442079460000"})

    shown = help_channels(tier=TierFactory(channels=["email"]))

    assert [c.kind for c in shown] == ["email"]
