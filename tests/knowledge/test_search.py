"""Search on PostgreSQL in Russian, Lithuanian, English (and Latvian/Persian with `simple`):
morphology, ranking order (title over tags over body), typo tolerance, highlighting,
visibility; and the SQLite fallback."""

from __future__ import annotations

import pytest

from knowledge import search
from knowledge.search import Audience
from knowledge.selectors import search_articles, suggest_articles
from tests.factories import ArticleFactory, CustomerFactory, OrganizationFactory, TierFactory

pytestmark = pytest.mark.django_db

ANON = Audience()


def titles(results):
    return [r.translation.title for r in results]


def test_russian_search_finds_other_word_forms():
    ArticleFactory(
        locale="ru",
        title="Сроки доставки заказов",
        body_md="Мы доставляем заказы курьером за два-три рабочих дня.",
    )
    ArticleFactory(locale="ru", title="Возврат товара", body_md="Вернуть товар можно за 14 дней.")

    results = search_articles(query="доставка", locale="ru", audience=ANON)

    assert titles(results) == ["Сроки доставки заказов"]


def test_russian_search_matches_inflected_body_words_and_highlights_them():
    ArticleFactory(
        locale="ru",
        title="Оплата",
        body_md="Оплатить заказ можно банковской картой или при получении посылки.",
    )

    [result] = search_articles(query="банковская карта", locale="ru", audience=ANON)

    assert "<mark>банковской</mark>" in result.headline
    assert "<mark>картой</mark>" in result.headline


def test_lithuanian_search_uses_the_lithuanian_stemmer():
    ArticleFactory(
        locale="lt",
        title="Užsakymo pristatymas",
        body_md="Pristatymas per kurjerį užtrunka dvi darbo dienas.",
    )
    ArticleFactory(locale="lt", title="Prekių grąžinimas", body_md="Grąžinti galite per 14 dienų.")

    results = search_articles(query="pristatymo", locale="lt", audience=ANON)

    assert titles(results) == ["Užsakymo pristatymas"]


def test_english_title_match_ranks_above_tag_match_above_body_match():
    ArticleFactory(title="Store opening hours", body_md="We are open all week.", tags=["refunds"])
    ArticleFactory(title="Cancel an order", body_md="Refunds reach your card within 5 days.")
    ArticleFactory(title="Refunds for damaged items", body_md="Send us a photo of the box.")

    results = search_articles(query="refund", locale="en", audience=ANON)

    assert titles(results) == [
        "Refunds for damaged items",
        "Store opening hours",
        "Cancel an order",
    ]
    assert results[0].score > results[1].score > results[2].score


def test_english_misspelled_query_finds_the_article_by_title_similarity():
    ArticleFactory(title="Shipping and delivery times", body_md="Orders leave within a day.")
    ArticleFactory(title="Reset your password", body_md="Use the link on the sign-in page.")

    assert titles(search_articles(query="shiping", locale="en", audience=ANON)) == [
        "Shipping and delivery times"
    ]
    assert titles(search_articles(query="pasword", locale="en", audience=ANON)) == [
        "Reset your password"
    ]


def test_russian_typo_is_tolerated():
    ArticleFactory(locale="ru", title="Доставка за границу", body_md="Отправляем в 30 стран.")

    assert titles(search_articles(query="доствка", locale="ru", audience=ANON)) == [
        "Доставка за границу"
    ]


def test_latvian_and_persian_match_inflected_forms_by_prefix():
    ArticleFactory(locale="lv", title="Preču piegāde", body_md="Piegāde ilgst divas dienas.")
    persian_body = "سفارش‌ها در دو روز کاری ارسال می‌شوند."
    ArticleFactory(locale="fa", title="ارسال سفارش", body_md=persian_body)

    assert titles(search_articles(query="piegādes", locale="lv", audience=ANON)) == [
        "Preču piegāde"
    ]
    assert titles(search_articles(query="سفارش", locale="fa", audience=ANON)) == ["ارسال سفارش"]


def test_search_stays_in_the_requested_locale():
    ArticleFactory(
        translations={
            "en": {"title": "Delivery times", "body_md": "Two days."},
            "ru": {"title": "Сроки доставки", "body_md": "Два дня."},
        }
    )

    [result] = search_articles(query="доставка", locale="ru", audience=ANON)

    assert result.translation.locale == "ru"
    assert search_articles(query="доставка", locale="en", audience=ANON) == []


def test_search_never_shows_drafts_archived_internal_or_higher_tier_articles():
    basic, premium = TierFactory(name="Basic", rank=10), TierFactory(name="Premium", rank=30)
    ArticleFactory(title="Invoice basics")
    ArticleFactory(title="Invoice draft", status="draft")
    ArticleFactory(title="Invoice archived", status="archived")
    ArticleFactory(title="Invoice internal playbook", visibility="internal")
    ArticleFactory(title="Invoice for premium", visibility="tiers", min_tier=premium)
    ArticleFactory(title="Invoice for basic", visibility="tiers", min_tier=basic)

    anonymous = set(titles(search_articles(query="invoice", locale="en", audience=ANON)))
    on_basic = set(
        titles(search_articles(query="invoice", locale="en", audience=Audience(tier_rank=10)))
    )
    agent = set(
        titles(search_articles(query="invoice", locale="en", audience=Audience(staff=True)))
    )

    assert anonymous == {"Invoice basics"}
    assert on_basic == {"Invoice basics", "Invoice for basic"}
    assert agent == {"Invoice basics", "Invoice internal playbook"}


def test_headline_never_carries_markup_from_the_article_text():
    ArticleFactory(title="Widget embed", body_md="Paste `<script>alert(1)</script>` widget code.")

    [result] = search_articles(query="widget", locale="en", audience=ANON)

    assert "<script>" not in result.headline
    assert "<mark>widget</mark>" in result.headline


def test_suggestions_from_a_long_draft_match_any_of_its_words():
    ArticleFactory(title="Track your parcel", body_md="Open the tracking link in your email.")
    ArticleFactory(title="Change your address", body_md="Edit it in your account settings.")
    tier = TierFactory(rank=5)
    customer = CustomerFactory(organization=OrganizationFactory(tier=tier))

    suggestions = suggest_articles(
        text="Hello, where is my parcel? I ordered a week ago and the tracking shows nothing.",
        locale="en",
        customer=customer,
    )

    assert [s.translation.title for s in suggestions] == ["Track your parcel"]
    assert suggestions[0].url.startswith("http")
    assert suggestions[0].url.endswith(f"/help/en/articles/{suggestions[0].translation.slug}/")


def test_sqlite_fallback_ranks_title_hits_first(settings, monkeypatch):
    ArticleFactory(title="Printer setup", body_md="Connect the cable.")
    ArticleFactory(title="Cables", body_md="Which printer cable fits.")
    ArticleFactory(title="Printer internal", body_md="x", visibility="internal")
    monkeypatch.setattr(search, "is_postgres", lambda: False)

    hits = search.search(text="printer", locale="en", audience=ANON)

    from knowledge.models import ArticleTranslation

    found = [ArticleTranslation.objects.get(pk=h.translation_id).title for h in hits]
    assert found == ["Printer setup", "Cables"]


def test_lexicon_rebuild_counts_the_articles_of_each_lexeme():
    from knowledge.models import SearchTerm

    ArticleFactory(locale="ru", title="Сроки доставки", body_md="Доставка за два дня.")
    ArticleFactory(locale="ru", title="Доставка за границу", body_md="В 30 стран.")
    ArticleFactory(locale="ru", title="Черновик доставки", body_md="x", status="draft")

    search.lexicon_rebuild()

    assert SearchTerm.objects.get(locale="ru", lexeme="доставк").documents == 2
    assert SearchTerm.objects.get(locale="ru", lexeme="").documents == 2


def test_misspelled_word_is_corrected_from_the_lexicon_after_a_rebuild():
    ArticleFactory(title="Warranty claims", body_md="Send the receipt.")
    ArticleFactory(title="Gift cards", body_md="Cards never expire.")
    search.lexicon_rebuild()

    results = search_articles(query="waranty", locale="en", audience=ANON)

    assert titles(results) == ["Warranty claims"]
